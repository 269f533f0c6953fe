import { randomUUID } from 'node:crypto';
import { afterAll, beforeAll, describe, expect, it } from '@jest/globals';
import type { Pool } from 'pg';
import type { DataSource } from 'typeorm';
import type { WireMessage } from '@meridian/contracts/core';
import { principalKey, PrincipalSnapshotV1 } from '@meridian/contracts/identity';
import { noAttributes, SYSTEM_ACCESS, type UserCommand, userDecider, userStreamId } from '@meridian/identity/domain';
import { handle } from '@meridian/shared/decider';
import { eventStoreMigrations, migrate, PgEventStore } from '@meridian/shared/event-store';
import { MessageBus, Subscription } from '@meridian/shared/messaging';
import {
  createTestPool,
  createTopics,
  deleteTopics,
  testBrokers,
  testDatabaseUrl,
  uniqueTopic,
} from '@meridian/shared/testing';
import { eventually, silentLog } from '@meridian/shared/util';
import { createIdentityDataSource, identityPoolOf, migrateIdentityReadModel } from './identity-data-source';
import { ACCOUNTS_CHECKPOINT, PrincipalProjection } from './principal-projection';

/** The broker refuses the first send that carries `watched`: as if the process died after the commit. */
class BrokerAwayOnce extends MessageBus {
  watched: string | null = null;
  refused = 0;

  override async send(topic: string, messages: readonly WireMessage[]): Promise<void> {
    if (this.watched !== null && messages.some((m) => m.key === this.watched)) {
      this.watched = null;
      this.refused++;
      throw new Error('broker away');
    }
    return super.send(topic, messages);
  }
}

describe('PrincipalProjection (real Postgres and Kafka)', () => {
  const tenantId = `p-${randomUUID().slice(0, 8)}`;
  const topic = uniqueTopic('principals');
  const versions: number[] = [];
  let pool: Pool;
  let dataSource: DataSource;
  let store: PgEventStore;
  let bus: BrokerAwayOnce;
  let projection: PrincipalProjection;
  let subscription: Subscription;

  const append = (userId: string, command: UserCommand) =>
    handle(store, userDecider, userStreamId(tenantId, userId), command, { commandId: randomUUID() });

  beforeAll(async () => {
    pool = createTestPool(4);
    await migrate(pool, 'identity', eventStoreMigrations('identity'));
    dataSource = await createIdentityDataSource({ url: testDatabaseUrl(), poolSize: 4 }).initialize();
    await migrateIdentityReadModel(dataSource);
    store = new PgEventStore(pool, 'identity');
    bus = new BrokerAwayOnce({ brokers: testBrokers(), clientId: `principals-${randomUUID()}`, log: silentLog });
    await createTopics(bus, [topic]);
    subscription = new Subscription(bus, { groupId: `reader-${randomUUID()}`, topics: [topic], log: silentLog });
    await subscription.run(async (envelope) => {
      const snapshot = PrincipalSnapshotV1.schema.parse(envelope.data);
      if (snapshot.principal.tenantId === tenantId) versions.push(snapshot.version);
    });
    projection = new PrincipalProjection(identityPoolOf(dataSource), store, bus, { topic, idleDelayMs: 20 });
  });

  afterAll(async () => {
    await projection?.stop();
    await subscription?.stop();
    if (bus) {
      await deleteTopics(bus, [topic]);
      await bus.close();
    }
    await dataSource?.destroy();
    await pool?.end();
  });

  it('publishes a principal whose row committed though the produce failed, applying its events once', async () => {
    const userId = randomUUID();
    bus.watched = principalKey(tenantId, userId);
    const now = new Date().toISOString();
    await append(userId, {
      type: 'CreateUser',
      data: {
        tenantId,
        userId,
        username: 'ada',
        displayName: 'Ada',
        email: null,
        passwordHash: null,
        roles: ['viewer'],
        attributes: noAttributes,
        actor: 'system',
        access: SYSTEM_ACCESS,
        now,
      },
    });
    await projection.start();

    await eventually(() => expect(versions).toEqual([1]));
    expect(bus.refused).toBe(1);
    const { rows } = await pool.query(`SELECT version, roles FROM identity.users WHERE tenant_id = $1`, [tenantId]);
    expect(rows).toEqual([{ version: 1, roles: ['viewer'] }]);
    const { rows: stored } = await pool.query<{ global_position: string }>(
      `SELECT c.global_position::text FROM identity.checkpoints c WHERE c.name = $1`,
      [ACCOUNTS_CHECKPOINT],
    );
    const { rows: event } = await pool.query<{ global_position: string }>(
      `SELECT global_position::text FROM identity.events WHERE stream_id = $1`,
      [userStreamId(tenantId, userId)],
    );
    expect(BigInt(stored[0].global_position)).toBeGreaterThanOrEqual(BigInt(event[0].global_position));

    // A later change goes out on the running projection, woken by the append.
    await append(userId, {
      type: 'SetUserMembership',
      data: {
        tenantId,
        userId,
        roles: ['admin'],
        attributes: { ...noAttributes, clearance: 2 },
        actor: 'system',
        access: SYSTEM_ACCESS,
        now: new Date().toISOString(),
      },
    });
    await eventually(() => expect(versions).toEqual([1, 2]));
    const { rows: after } = await pool.query(
      `SELECT version, roles, attributes FROM identity.users WHERE tenant_id = $1`,
      [tenantId],
    );
    expect(after).toEqual([
      { version: 2, roles: ['admin'], attributes: { region: null, clearance: 2, teams: null, hours: null } },
    ]);
  });
});
