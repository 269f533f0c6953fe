import { randomBytes, randomUUID } from 'node:crypto';
import type { Pool } from 'pg';
import type { DataSource } from 'typeorm';
import { afterAll, beforeAll, describe, expect, it } from '@jest/globals';
import { toWire, type WireMessage } from '@meridian/contracts/core';
import { AuditLog } from '@meridian/read-model/audit';
import { createReadModelDataSource, migrateReadModel, poolOf } from '@meridian/read-model/data-source';
import type { MessageBus, Subscription } from '@meridian/shared/messaging';
import {
  consumeAll,
  createTestBus,
  createTopics,
  deleteTopics,
  eventually,
  testDatabaseUrl,
  uniqueTopic,
} from '@meridian/shared/testing';
import { silentLog } from '@meridian/shared/util';
import { recordAudit } from './audit-recorder';

const run = randomBytes(3).toString('hex');
const tenant = `au${run}`;
const other = `av${run}`;

const event = (
  type: string,
  data: Record<string, unknown>,
  options: { tenantId?: string; actor?: string; at: string },
) =>
  toWire(
    {
      id: randomUUID(),
      type,
      source: '/meridian/workflow',
      time: options.at,
      data,
      correlationId: randomUUID(),
      ...(options.tenantId ? { tenantId: options.tenantId } : {}),
      ...(options.actor ? { actor: options.actor } : {}),
    },
    String(data['assetId'] ?? data['userId'] ?? 'k'),
  );

describe('the audit trail: events → read.audit_log → paged, filtered reads (real Kafka and PostGIS)', () => {
  let dataSource: DataSource;
  let pool: Pool;
  let bus: MessageBus;
  let subscription: Subscription;
  let log: AuditLog;
  const topic = uniqueTopic('audit');
  const assetA = randomUUID();
  const assetB = randomUUID();
  const userId = randomUUID();

  beforeAll(async () => {
    dataSource = await createReadModelDataSource({ url: testDatabaseUrl(), poolSize: 4 }).initialize();
    await migrateReadModel(dataSource);
    pool = poolOf(dataSource);
    log = new AuditLog(pool);
    bus = createTestBus('audit-spec');
    await createTopics(bus, [topic, `${topic}.dlq`]);
    const base = Date.parse('2026-11-30T10:00:00.000Z');
    const at = (minutes: number) => new Date(base + minutes * 60_000).toISOString();
    const messages: WireMessage[] = [
      event(
        'meridian.workflow.asset.registered.v1',
        { assetId: assetA },
        { tenantId: tenant, actor: 'alice', at: at(0) },
      ),
      event(
        'meridian.workflow.asset.registered.v1',
        { assetId: assetB },
        { tenantId: tenant, actor: 'bob', at: at(1) },
      ),
      // Poison: not JSON. It must be dead-lettered alone, not stall the events after it.
      { key: 'x', value: Buffer.from('{not json'), headers: { ...event('t', {}, { at: at(2) }).headers } },
      event(
        'meridian.identity.user.membership-changed.v1',
        { userId, roles: ['viewer'] },
        {
          tenantId: tenant,
          actor: 'alice',
          at: at(3),
        },
      ),
      event(
        'meridian.workflow.asset.registered.v1',
        { assetId: randomUUID() },
        { tenantId: other, actor: 'eve', at: at(4) },
      ),
      // Recorded before actors were kept: reads as `system`.
      event('meridian.workflow.asset.retired.v1', { assetId: assetA }, { tenantId: tenant, at: at(5) }),
      // No tenant: nobody's trail.
      event('meridian.workflow.noise.v1', { assetId: assetA }, { actor: 'alice', at: at(6) }),
    ];
    await bus.send(topic, messages);
    subscription = await recordAudit(bus, log, { groupId: `audit-spec-${run}`, topics: [topic], log: silentLog });
  });

  afterAll(async () => {
    await subscription?.stop();
    await deleteTopics(bus, [topic, `${topic}.dlq`]);
    await bus?.close();
    await pool?.query('DELETE FROM read.audit_log WHERE tenant_id = ANY($1)', [[tenant, other]]);
    await dataSource?.destroy();
  });

  it("keeps each tenant's events with actor, type and resource, and dead-letters the poison record alone", async () => {
    const all = await eventually(async () => {
      const page = await log.list(tenant, {}, 100);
      expect(page.items).toHaveLength(4);
      return page;
    });
    expect(all.items.map((e) => [e.actor, e.type, e.resource])).toEqual([
      ['alice', 'meridian.workflow.asset.registered.v1', assetA],
      ['bob', 'meridian.workflow.asset.registered.v1', assetB],
      ['alice', 'meridian.identity.user.membership-changed.v1', userId],
      ['system', 'meridian.workflow.asset.retired.v1', assetA],
    ]);
    expect(all.items[2]?.data).toEqual({ userId, roles: ['viewer'] });
    const dead = await consumeAll(bus, `${topic}.dlq`, 1);
    expect(dead[0]?.wire.value.toString()).toBe('{not json');
    expect((await log.list(other, {}, 100)).items.map((e) => e.actor)).toEqual(['eve']);
  });

  it('filters by actor, resource and the half-open window, and pages without repeats', async () => {
    expect((await log.list(tenant, { actor: 'alice' }, 100)).items.map((e) => e.resource)).toEqual([assetA, userId]);
    expect((await log.list(tenant, { resource: assetA }, 100)).items.map((e) => e.actor)).toEqual(['alice', 'system']);
    const window = { from: '2026-11-30T10:01:00.000Z', to: '2026-11-30T10:05:00.000Z' };
    expect((await log.list(tenant, window, 100)).items.map((e) => e.actor)).toEqual(['bob', 'alice']);
    const seen: string[] = [];
    let after: string | undefined;
    for (let pages = 0; pages < 10; pages++) {
      const page = await log.list(tenant, {}, 1, after);
      seen.push(...page.items.map((e) => e.eventId));
      if (page.after === null) break;
      after = page.after;
    }
    expect(seen).toHaveLength(4);
    expect(new Set(seen).size).toBe(4);
  });

  it('records a redelivered event once', async () => {
    const before = (await log.list(tenant, {}, 100)).items;
    const first = before[0];
    if (!first) throw new Error('no audit rows');
    await log.record([
      {
        eventId: first.eventId,
        tenantId: tenant,
        recordedAt: first.recordedAt,
        actor: 'mallory',
        type: first.type,
        resource: first.resource,
        source: first.source,
        data: {},
      },
    ]);
    const after = (await log.list(tenant, {}, 100)).items;
    expect(after).toHaveLength(before.length);
    expect(after[0]?.actor).toBe('alice');
  });
});
