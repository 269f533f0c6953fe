import { randomUUID } from 'node:crypto';
import { Pool } from 'pg';
import type { DataSource } from 'typeorm';
import { afterAll, beforeAll, describe, expect, it } from '@jest/globals';
import { dlqTopic, type Envelope, toWire } from '@meridian/contracts/core';
import { PositionBatchReportedV1 } from '@meridian/contracts/telemetry';
import { AssetLatestWriter } from '@meridian/read-model/assets';
import { createReadModelDataSource, migrateReadModel, poolOf } from '@meridian/read-model/data-source';
import { type PositionRow, PositionsWriter } from '@meridian/read-model/positions';
import { Geofencer, geofenceStreamId, ZoneWriter } from '@meridian/read-model/zones';
import { eventStoreMigrations, migrate, PgEventStore } from '@meridian/shared/event-store';
import { type FailureKind, type MessageBus, Subscription } from '@meridian/shared/messaging';
import {
  createTestBus,
  createTopics,
  deleteTopics,
  eventually,
  failureKindLog,
  FaultProxy,
  freshSchema,
  testDatabaseUrl,
  uniqueTopic,
} from '@meridian/shared/testing';
import { sleep } from '@meridian/shared/util';

// The telemetry path's headline failure: PostgreSQL goes away for over a minute while fixes keep
// arriving. Every fix sent must be stored exactly once when it is back, every geofence transition
// made exactly once, in order, and nothing dead-lettered. The outage is a TCP proxy in front of
// the shared server (its connections reset, new ones refused), as in command-outage.int.spec.ts.

const OUTAGE_MS = 65_000;

describe('telemetry and geofencing outlive a Postgres outage longer than a minute', () => {
  let bus: MessageBus;
  let dataSource: DataSource;
  let direct: Pool;
  let proxied: Pool;
  let proxy: FaultProxy;
  let consumer: Subscription;
  let store: PgEventStore;
  let dropStore: () => Promise<void>;
  const topic = uniqueTopic('outage-telemetry');
  const tenant = `to-${randomUUID().slice(0, 8)}`;
  const kinds: FailureKind[] = [];
  const assets = Array.from({ length: 6 }, () => randomUUID());
  const zoneId = randomUUID();
  const base = Date.now() - 30 * 60 * 1000;
  const at = (s: number): string => new Date(base + s * 1000).toISOString();
  // Each asset drives west to east through the zone (8.50–8.60): outside, inside ×2, outside.
  const track = [8.4, 8.52, 8.58, 8.7];

  const send = async (step: number): Promise<void> => {
    const fixes = assets.map((assetId, i) => ({ assetId, ts: at(step * 10 + i), lon: track[step], lat: 47.35 }));
    const envelope: Envelope = {
      id: randomUUID(),
      type: PositionBatchReportedV1.type,
      source: '/test',
      time: new Date().toISOString(),
      data: { fixes },
      correlationId: randomUUID(),
      tenantId: tenant,
    };
    await bus.send(topic, [toWire(envelope, assets[0])]);
  };

  beforeAll(async () => {
    dataSource = await createReadModelDataSource({ url: testDatabaseUrl(), poolSize: 2 }).initialize();
    await migrateReadModel(dataSource);
    direct = poolOf(dataSource);
    const fresh = freshSchema(direct, 'outage_geofence');
    dropStore = fresh.cleanup;
    await migrate(direct, fresh.schema, eventStoreMigrations(fresh.schema));

    const target = new URL(testDatabaseUrl());
    proxy = new FaultProxy({ targetHost: target.hostname, targetPort: Number(target.port || 5432) });
    await proxy.start();
    const viaProxy = new URL(target);
    viaProxy.hostname = '127.0.0.1';
    viaProxy.port = String(proxy.port);
    proxied = new Pool({ connectionString: viaProxy.toString(), max: 4, connectionTimeoutMillis: 5_000 });
    proxied.on('error', () => undefined); // idle connections reset by the proxy

    store = new PgEventStore(proxied, fresh.schema);
    const geofencer = new Geofencer(store);
    const writer = new PositionsWriter(proxied);
    for (const assetId of assets) {
      await new AssetLatestWriter(direct).applyRegistration({
        assetId,
        tenantId: tenant,
        name: 'drone',
        kind: 'drone',
        status: 'registered',
        version: 1,
      });
    }
    await new ZoneWriter(direct, new Geofencer(new PgEventStore(direct, fresh.schema))).created({
      zoneId,
      tenantId: tenant,
      name: 'Depot',
      kind: 'geofence',
      geometry: {
        type: 'Polygon',
        coordinates: [
          [
            [8.5, 47.3],
            [8.6, 47.3],
            [8.6, 47.4],
            [8.5, 47.4],
            [8.5, 47.3],
          ],
        ],
      },
      validFrom: null,
      validTo: null,
      sensitivity: 0,
      version: 1,
      createdAt: at(0),
    });

    bus = createTestBus('outage-telemetry');
    await createTopics(bus, [topic, dlqTopic(topic)], 3);
    consumer = new Subscription(bus, {
      groupId: `outage-telemetry-${randomUUID()}`,
      topics: [topic],
      fromBeginning: true,
      log: failureKindLog(kinds),
    });
    await consumer.runBatch(
      (e) => (e.data as { fixes: Omit<PositionRow, 'tenantId'>[] }).fixes.map((f) => ({ ...f, tenantId: tenant })),
      async (batches) => {
        await writer.write(batches.flat(), geofencer.hook());
      },
    );
  }, 120_000);

  afterAll(async () => {
    await consumer?.stop();
    await deleteTopics(bus, [topic, dlqTopic(topic)]);
    await bus?.close();
    await proxy?.stop();
    await proxied?.end().catch(() => undefined);
    await direct?.query('DELETE FROM read.zone_visits WHERE tenant_id = $1', [tenant]);
    await direct?.query('DELETE FROM read.zones WHERE tenant_id = $1', [tenant]);
    await direct?.query('DELETE FROM read.positions WHERE tenant_id = $1', [tenant]);
    await direct?.query('DELETE FROM read.asset_latest WHERE tenant_id = $1', [tenant]);
    await dropStore?.();
    await dataSource?.destroy();
  });

  it('stores every fix once, makes each enter and exit once, in order, and dead-letters nothing', async () => {
    await send(0);
    await send(1);
    await eventually(async () => {
      const { rows } = await direct.query('SELECT 1 FROM read.positions WHERE tenant_id = $1', [tenant]);
      expect(rows).toHaveLength(assets.length * 2);
    });

    await proxy.cut();
    const cutAt = Date.now();
    await send(2);
    await sleep(20_000);
    await send(3);
    await sleep(OUTAGE_MS - (Date.now() - cutAt));
    await proxy.restore();

    await eventually(
      async () => {
        const { rows } = await direct.query('SELECT 1 FROM read.positions WHERE tenant_id = $1', [tenant]);
        expect(rows).toHaveLength(assets.length * 4);
      },
      { timeoutMs: 90_000 },
    );
    for (const [i, assetId] of assets.entries()) {
      const events = (await store.readStream(geofenceStreamId(assetId))).map((e) => [
        e.type,
        (e.data as { ts: string }).ts,
      ]);
      expect(events).toEqual([
        ['geofence.entered.v1', at(10 + i)],
        ['geofence.exited.v1', at(30 + i)],
      ]);
    }
    const visits = await direct.query('SELECT 1 FROM read.zone_visits WHERE zone_id = $1 AND exited_at IS NOT NULL', [
      zoneId,
    ]);
    expect(visits.rows).toHaveLength(assets.length);
    expect(kinds).toContain('transient'); // the outage reached the handler, and was retried as such
    const dlq = await bus.endOffsets(dlqTopic(topic));
    expect([...dlq.values()].reduce((a, b) => a + b, 0n)).toBe(0n);
  }, 240_000);
});
