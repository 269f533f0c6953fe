import 'reflect-metadata';
import { randomUUID } from 'node:crypto';
import { type DynamicModule, type INestApplicationContext, Module } from '@nestjs/common';
import { NestFactory } from '@nestjs/core';
import { afterAll, beforeAll, describe, expect, it } from '@jest/globals';
import type { Pool } from 'pg';
import { z } from 'zod';
import type { Envelope } from '@meridian/contracts/core';
import { type Principal, PrincipalSnapshotV1 } from '@meridian/contracts/identity';
import { IDENTITY_DIRECTORY, type IdentityDirectory, PLATFORM_ADMIN_CLIENT_ID } from '@meridian/identity/domain';
import { IDENTITY_READ_POOL, IdentityDataAccessModule, identityAccountsEnv } from '@meridian/identity/data-access';
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
import { tenantAdminClientId } from './bootstrap-service-accounts/bootstrap-service-accounts';
import { CreateServiceAccountHandler } from './create-service-account/create-service-account.handler';
import { DisableServiceAccountHandler } from './disable-service-account/disable-service-account.handler';
import { IdentityServiceAccountsModule } from './identity-service-accounts.module';
import { serviceAccountIntegrationEvent } from './publish-service-account-events/service-account-integration-events';
import { SetServiceAccountMembershipHandler } from './set-service-account-membership/set-membership.handler';

type Snapshot = z.infer<typeof PrincipalSnapshotV1.schema>;

/**
 * Service accounts against the real Postgres event store, the read models, the principal
 * projection and the test broker, wired as the identity service wires them (bootstrap included).
 */
describe('service accounts: bootstrap, commands, directory and snapshots (real Postgres and Kafka)', () => {
  const run = randomUUID().slice(0, 8);
  const tenantId = `s-${run}`;
  const secret = `secret-${randomUUID()}`;
  const adminSecret = `tenant-admin-${randomUUID()}`;
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
  });
  const accounts = z
    .object(identityAccountsEnv)
    .parse({ IDENTITY_BOOTSTRAP_ADMIN_SECRET: adminSecret, IDENTITY_BOOTSTRAP_USERS: '[]' });
  const config = { ...base, ...accounts, IDENTITY_BOOTSTRAP_TENANTS: [tenantId] };

  const principal = (p: Pick<Principal, 'tenantId' | 'subject' | 'roles' | 'platformAdmin'>): string =>
    JSON.stringify({ kind: 'service-account', region: null, clearance: 4, teams: null, hours: null, ...p });
  const tenantAdmin = principal({
    tenantId,
    subject: tenantAdminClientId(tenantId),
    roles: ['admin'],
    platformAdmin: false,
  });
  const command = (type: string, data: unknown, actingAs = tenantAdmin): Envelope => ({
    id: randomUUID(),
    type,
    source: '/meridian/test',
    time: new Date().toISOString(),
    data,
    correlationId: randomUUID(),
    tenantId,
    principal: actingAs,
  });
  const snapshotsOf = (clientId: string): Snapshot[] => snapshots.filter((s) => s.principal.subject === clientId);

  beforeAll(async () => {
    bus = createTestBus('identity-service-accounts-int');
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
    class ServiceAccountsTestRoot {}
    const root: DynamicModule = {
      module: ServiceAccountsTestRoot,
      imports: [
        CoreModule.forRoot({ service: 'identity', config, logger: createLogger('identity', 'silent') }),
        EventSourcingModule.forRoot({ schema: 'identity', topic: eventsTopic, map: serviceAccountIntegrationEvent }),
        IdentityDataAccessModule.forRoot({ principalsTopic }),
        IdentityServiceAccountsModule.forRoot(config),
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

  it("bootstraps the platform administrator and the tenant's first administrator as OAuth clients", async () => {
    const platform = await eventually(async () => {
      const client = await directory.findServiceClient(PLATFORM_ADMIN_CLIENT_ID);
      expect(client).not.toBeNull();
      return client;
    });
    expect(platform).toEqual({
      tenantId: 'platform',
      clientId: 'platform-admin',
      secret: config.IDENTITY_PLATFORM_CLIENT_SECRET,
      name: 'Platform administrator',
      platformAdmin: true,
    });
    const tenantAdminClient = await eventually(async () => {
      const client = await directory.findServiceClient(tenantAdminClientId(tenantId));
      expect(client).not.toBeNull();
      return client;
    });
    expect(tenantAdminClient).toMatchObject({ tenantId, secret: adminSecret, platformAdmin: false });
    const adminSnapshot = await eventually(() => {
      const [s] = snapshotsOf(tenantAdminClientId(tenantId));
      expect(s).toBeDefined();
      return s;
    });
    expect(adminSnapshot.principal).toMatchObject({ tenantId, kind: 'service-account', roles: ['admin'] });
    const { rows } = await pool.query<{ n: number }>(
      `SELECT count(*)::int AS n FROM identity.streams WHERE stream_id = $1`,
      [`tenant-${tenantId}`],
    );
    expect(rows[0].n).toBe(1);
  });

  it('creates a service account whose secret is stored sealed and opens only in the directory', async () => {
    const clientId = `bot-${run}`;
    const create = command('meridian.identity.service-account.create.v1', {
      clientId,
      name: 'Ingest bot',
      secret: sealSecret(secretsKey, secret),
      roles: ['operator'],
      attributes: { clearance: 1 },
    });
    expect((await app.get(CreateServiceAccountHandler).create(create as never)).data).toMatchObject({
      outcome: 'accepted',
      version: 1,
    });
    const client = await eventually(async () => {
      const found = await directory.findServiceClient(clientId);
      expect(found).not.toBeNull();
      return found;
    });
    expect(client).toEqual({ tenantId, clientId, secret, name: 'Ingest bot', platformAdmin: false });
    const { rows } = await pool.query<{ secret: string; roles: string[]; version: number }>(
      `SELECT secret, roles, version FROM identity.service_accounts WHERE client_id = $1`,
      [clientId],
    );
    expect(rows[0]).toMatchObject({ roles: ['operator'], version: 1 });
    expect(rows[0].secret).not.toContain(secret);
    expect(openSecret(secretsKey, rows[0].secret)).toBe(secret);
    const { rows: leaks } = await pool.query<{ n: number }>(
      `SELECT count(*)::int AS n FROM identity.events WHERE data::text LIKE $1 OR metadata::text LIKE $1`,
      [`%${secret}%`],
    );
    expect(leaks[0].n).toBe(0);
  });

  it('publishes the membership change with a higher version and the disable as active:false', async () => {
    const clientId = `bot-${run}`;
    const set = command('meridian.identity.service-account.membership.set.v1', {
      clientId,
      roles: ['viewer', 'dispatcher'],
      attributes: { clearance: 4, teams: ['ops'] },
    });
    expect((await app.get(SetServiceAccountMembershipHandler).set(set as never)).data).toMatchObject({ version: 2 });
    const changed = await eventually(() => {
      const s = snapshotsOf(clientId).find((x) => x.version === 2);
      expect(s).toBeDefined();
      return s;
    });
    expect(changed?.principal).toMatchObject({ roles: ['viewer', 'dispatcher'], clearance: 4, teams: ['ops'] });
    expect(snapshotsOf(clientId).find((x) => x.version === 1)).toMatchObject({ principal: { roles: ['operator'] } });

    // The platform administrator may act in any tenant; it is recorded as the actor.
    const platform = principal({ tenantId: 'platform', subject: 'platform-admin', roles: [], platformAdmin: true });
    const disable = command('meridian.identity.service-account.disable.v1', { clientId }, platform);
    expect((await app.get(DisableServiceAccountHandler).disable(disable as never)).data).toMatchObject({ version: 3 });
    const disabled = await eventually(() => {
      const s = snapshotsOf(clientId).find((x) => x.version === 3);
      expect(s).toBeDefined();
      return s;
    });
    expect(disabled).toMatchObject({ active: false, principal: { tenantId, subject: clientId } });
    expect(await directory.findServiceClient(clientId)).toBeNull();

    const published = await eventually(() => {
      const events = wireValues.filter((w) => w.includes(clientId) && w.includes('meridian.identity.service-account.'));
      expect(events).toHaveLength(3);
      return events;
    });
    expect(published.some((w) => w.includes('"actor":"platform-admin"'))).toBe(true);
    const { rows } = await pool.query<{ secret: string }>(
      `SELECT secret FROM identity.service_accounts WHERE client_id = $1`,
      [clientId],
    );
    for (const value of wireValues) {
      expect(value).not.toContain(secret);
      expect(value).not.toContain(adminSecret);
      expect(value).not.toContain(rows[0].secret);
    }
  });
});
