import 'reflect-metadata';
import { randomUUID } from 'node:crypto';
import { type DynamicModule, type INestApplicationContext, Module } from '@nestjs/common';
import { NestFactory } from '@nestjs/core';
import { afterAll, beforeAll, describe, expect, it } from '@jest/globals';
import type { Pool } from 'pg';
import { z } from 'zod';
import type { Envelope } from '@meridian/contracts/core';
import { type Principal, principalKey, PrincipalSnapshotV1 } from '@meridian/contracts/identity';
import { IDENTITY_DIRECTORY, type IdentityDirectory, userStreamId } from '@meridian/identity/domain';
import {
  IDENTITY_READ_POOL,
  IdentityDataAccessModule,
  identityAccountsEnv,
  verifyPasswordHash,
} from '@meridian/identity/data-access';
import { type MessageBus, Subscription } from '@meridian/shared/messaging';
import {
  baseConfigSchema,
  CoreModule,
  createLogger,
  EventSourcingModule,
  loadConfig,
} from '@meridian/shared/service-kit';
import {
  createTestBus,
  createTopics,
  deleteTopics,
  testBrokers,
  testDatabaseUrl,
  uniqueTopic,
} from '@meridian/shared/testing';
import { eventually, openSecret, sealSecret, silentLog } from '@meridian/shared/util';
import { bootstrapUserId } from './bootstrap-users/bootstrap-users';
import { CreateUserHandler } from './create-user/create-user.handler';
import { DisableUserHandler } from './disable-user/disable-user.handler';
import { IdentityUsersModule } from './identity-users.module';
import { userIntegrationEvent } from './publish-user-events/user-integration-events';
import { SetUserMembershipHandler } from './set-user-membership/set-user-membership.handler';

type Snapshot = z.infer<typeof PrincipalSnapshotV1.schema>;

/**
 * Identity's user commands against the real Postgres event store, the TypeORM read models, the
 * principal projection and the test broker, wired as the identity service wires them. Tenants and
 * passwords are unique per run: the schema `identity` outlives the file.
 */
describe('users: commands → event store → read model → principal snapshots (real Postgres and Kafka)', () => {
  const run = randomUUID().slice(0, 8);
  const tenantId = `t-${run}`;
  const password = `pw-${randomUUID()}`;
  const bootPassword = `boot-${randomUUID()}`;
  const eventsTopic = uniqueTopic('identity-events');
  const principalsTopic = uniqueTopic('identity-principals');
  const snapshots: Snapshot[] = [];
  const wireValues: string[] = [];
  let app: INestApplicationContext;
  let bus: MessageBus;
  let subscriptions: Subscription[] = [];
  let pool: Pool;
  let directory: IdentityDirectory;
  let secretsKey: Buffer;

  const base = loadConfig(baseConfigSchema, {
    DATABASE_URL: testDatabaseUrl(),
    KAFKA_BROKERS: testBrokers().join(','),
    LOG_LEVEL: 'silent',
    DATABASE_POOL_SIZE: '6',
  });
  const accounts = z.object(identityAccountsEnv).parse({
    IDENTITY_BOOTSTRAP_USERS: JSON.stringify([
      { tenantId, username: 'boot-user', password: bootPassword, displayName: 'Boot', roles: ['viewer'] },
    ]),
  });
  const config = { ...base, ...accounts, IDENTITY_BOOTSTRAP_TENANTS: [tenantId] };

  const admin = JSON.stringify({
    tenantId,
    subject: 'admin-of-test',
    kind: 'service-account',
    roles: ['admin'],
    platformAdmin: false,
    region: null,
    clearance: 4,
    teams: null,
    hours: null,
  } satisfies Principal);
  const command = (type: string, data: unknown): Envelope => ({
    id: randomUUID(),
    type,
    source: '/meridian/test',
    time: new Date().toISOString(),
    data,
    correlationId: randomUUID(),
    tenantId,
    principal: admin,
  });
  const createCommand = (userId: string, username: string): Envelope =>
    command('meridian.identity.user.create.v1', {
      userId,
      username,
      displayName: `User ${username}`,
      email: `${username}@example.com`,
      password: sealSecret(secretsKey, password),
      roles: ['viewer'],
    });
  const snapshotsOf = (subject: string): Snapshot[] =>
    snapshots.filter((s) => s.principal.tenantId === tenantId && s.principal.subject === subject);

  beforeAll(async () => {
    bus = createTestBus('identity-users-int');
    await createTopics(bus, [eventsTopic, principalsTopic]);
    for (const topic of [eventsTopic, principalsTopic]) {
      const sub = new Subscription(bus, { groupId: `reader-${randomUUID()}`, topics: [topic], log: silentLog });
      await sub.run(async (envelope) => {
        wireValues.push(JSON.stringify(envelope));
        if (envelope.type === PrincipalSnapshotV1.type) snapshots.push(PrincipalSnapshotV1.schema.parse(envelope.data));
      });
      subscriptions.push(sub);
    }

    @Module({})
    class UsersTestRoot {}
    const root: DynamicModule = {
      module: UsersTestRoot,
      imports: [
        CoreModule.forRoot({ service: 'identity', config, logger: createLogger('identity', 'silent') }),
        EventSourcingModule.forRoot({ schema: 'identity', topic: eventsTopic, map: userIntegrationEvent }),
        IdentityDataAccessModule.forRoot({ principalsTopic }),
        IdentityUsersModule.forRoot(config),
      ],
    };
    app = await NestFactory.createApplicationContext(root, { logger: false });
    await app.init();
    pool = app.get<Pool>(IDENTITY_READ_POOL);
    directory = app.get<IdentityDirectory>(IDENTITY_DIRECTORY);
    secretsKey = Buffer.from(config.SECRETS_KEY, 'base64');
  });

  afterAll(async () => {
    await app?.close();
    await Promise.allSettled(subscriptions.map((s) => s.stop()));
    subscriptions = [];
    if (bus) {
      await deleteTopics(bus, [eventsTopic, principalsTopic]);
      await bus.close();
    }
  });

  it('creates the bootstrap user once, who can log in with its configured password', async () => {
    const account = await eventually(async () => {
      const found = await directory.verifyPassword(tenantId, 'boot-user', bootPassword);
      expect(found).not.toBeNull();
      return found;
    });
    expect(account).toEqual({
      tenantId,
      subject: bootstrapUserId(tenantId, 'boot-user'),
      username: 'boot-user',
      displayName: 'Boot',
      email: null,
    });
  });

  it('stores a created user with its password hashed and sealed, never in clear, and verifies logins', async () => {
    const userId = randomUUID();
    const reply = await app.get(CreateUserHandler).create(createCommand(userId, 'ada') as never);
    expect(reply.data).toEqual({ outcome: 'accepted', streamId: userStreamId(tenantId, userId), version: 1 });

    const row = await eventually(async () => {
      const { rows } = await pool.query(`SELECT * FROM identity.users WHERE tenant_id = $1 AND user_id = $2`, [
        tenantId,
        userId,
      ]);
      expect(rows).toHaveLength(1);
      return rows[0] as Record<string, unknown>;
    });
    expect(row).toMatchObject({
      username: 'ada',
      display_name: 'User ada',
      email: 'ada@example.com',
      federated_issuer: null,
      roles: ['viewer'],
      attributes: { region: null, clearance: 0, teams: null, hours: null },
      active: true,
      version: 1,
    });
    const sealedHash = String(row['password_hash']);
    expect(sealedHash).toMatch(/^v1\./);
    const hash = openSecret(secretsKey, sealedHash);
    expect(hash).toMatch(/^scrypt\$16384\$8\$1\$[\w-]+\$[\w-]+$/);
    expect(await verifyPasswordHash(password, hash)).toBe(true);

    const { rows: leaks } = await pool.query<{ n: number }>(
      `SELECT count(*)::int AS n FROM identity.events WHERE data::text LIKE $1 OR metadata::text LIKE $1`,
      [`%${password}%`],
    );
    expect(leaks[0].n).toBe(0);

    expect(await directory.verifyPassword(tenantId, 'ada', password)).toMatchObject({ subject: userId });
    expect(await directory.verifyPassword(tenantId, ' ADA ', password)).toMatchObject({ subject: userId });
    expect(await directory.verifyPassword(tenantId, 'ada', `${password}x`)).toBeNull();
    expect(await directory.verifyPassword(tenantId, 'nobody', password)).toBeNull();
    expect(await directory.verifyPassword('other-tenant', 'ada', password)).toBeNull();
    expect(await directory.findAccount(tenantId, userId)).toMatchObject({ username: 'ada', email: 'ada@example.com' });
    expect(await directory.findAccount('other-tenant', userId)).toBeNull();
    expect(await directory.findAccount(tenantId, 'not-a-uuid')).toBeNull();
  });

  it('publishes a higher-version snapshot for a membership change, and active:false for a disable', async () => {
    const userId = randomUUID();
    await app.get(CreateUserHandler).create(createCommand(userId, 'grace') as never);
    const first = await eventually(() => {
      const [s] = snapshotsOf(userId);
      expect(s).toBeDefined();
      return s;
    });
    expect(first).toMatchObject({
      principal: { tenantId, subject: userId, kind: 'user', roles: ['viewer'], platformAdmin: false, clearance: 0 },
      name: 'User grace',
      active: true,
      version: 1,
    });

    const region = {
      type: 'Polygon' as const,
      coordinates: [
        [
          [2, 48],
          [3, 48],
          [3, 49],
          [2, 48],
        ],
      ],
    };
    const set = command('meridian.identity.user.membership.set.v1', {
      userId,
      roles: ['dispatcher', 'approver'],
      attributes: { region, clearance: 3, teams: ['north'], hours: { fromMinute: 360, toMinute: 1080 } },
    });
    expect((await app.get(SetUserMembershipHandler).set(set as never)).data).toMatchObject({ version: 2 });
    const changed = await eventually(() => {
      const s = snapshotsOf(userId).find((x) => x.version === 2);
      expect(s).toBeDefined();
      return s;
    });
    expect(changed?.principal).toMatchObject({
      roles: ['dispatcher', 'approver'],
      region,
      clearance: 3,
      teams: ['north'],
      hours: { fromMinute: 360, toMinute: 1080 },
    });

    const disable = command('meridian.identity.user.disable.v1', { userId });
    expect((await app.get(DisableUserHandler).disable(disable as never)).data).toMatchObject({ version: 3 });
    const disabled = await eventually(() => {
      const s = snapshotsOf(userId).find((x) => x.version === 3);
      expect(s).toBeDefined();
      return s;
    });
    expect(disabled).toMatchObject({ active: false, principal: { roles: ['dispatcher', 'approver'] } });
    expect(await directory.findAccount(tenantId, userId)).toBeNull();
    expect(await directory.verifyPassword(tenantId, 'grace', password)).toBeNull();

    // The principal's key on the compacted topic, and the public events: no password, no hash.
    const { rows } = await pool.query<{ password_hash: string }>(
      `SELECT password_hash FROM identity.users WHERE tenant_id = $1 AND user_id = $2`,
      [tenantId, userId],
    );
    await eventually(() => {
      const events = wireValues.filter((w) => w.includes(userId) && w.includes('meridian.identity.user.'));
      expect(events).toHaveLength(3);
    });
    for (const value of wireValues) {
      expect(value).not.toContain(password);
      expect(value).not.toContain(rows[0].password_hash);
      expect(value).not.toContain('scrypt$');
    }
    expect(principalKey(tenantId, userId)).toBe(`${tenantId}/${userId}`);
  });

  it('accepts exactly one of several concurrent creates of the same username in a tenant', async () => {
    const ids = Array.from({ length: 6 }, () => randomUUID());
    const handler = app.get(CreateUserHandler);
    const replies = await Promise.all(ids.map((id) => handler.create(createCommand(id, 'race') as never)));
    const outcomes = replies.map((r) => r.data as { outcome: string; code?: string });
    expect(outcomes.filter((o) => o.outcome === 'accepted')).toHaveLength(1);
    expect(outcomes.filter((o) => o.code === 'USER.USERNAME_TAKEN')).toHaveLength(ids.length - 1);
    const winner = ids[outcomes.findIndex((o) => o.outcome === 'accepted')];
    const { rows } = await eventually(async () => {
      const result = await pool.query(`SELECT user_id FROM identity.users WHERE tenant_id = $1 AND username = 'race'`, [
        tenantId,
      ]);
      expect(result.rows).toHaveLength(1);
      return result;
    });
    expect(rows[0].user_id).toBe(winner);
    const { rows: streams } = await pool.query<{ n: number }>(
      `SELECT count(*)::int AS n FROM identity.streams WHERE stream_id = ANY($1::text[])`,
      [ids.map((id) => userStreamId(tenantId, id))],
    );
    expect(streams[0].n).toBe(1);
  });
});
