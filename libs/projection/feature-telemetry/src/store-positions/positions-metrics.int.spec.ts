import { randomBytes, randomUUID } from 'node:crypto';
import type { Pool } from 'pg';
import type { DataSource } from 'typeorm';
import { afterAll, beforeAll, describe, expect, it } from '@jest/globals';
import type { Envelope } from '@meridian/contracts/core';
import { type Fix, PositionBatchReportedV1 } from '@meridian/contracts/telemetry';
import { AssetLatestWriter } from '@meridian/read-model/assets';
import { createReadModelDataSource, migrateReadModel, poolOf } from '@meridian/read-model/data-source';
import { Geofencer, ZoneWriter } from '@meridian/read-model/zones';
import { eventStoreMigrations, migrate, PgEventStore } from '@meridian/shared/event-store';
import { squarePolygon } from '@meridian/shared/geometry';
import { metricsFor, parseExposition, valueOf } from '@meridian/shared/metrics';
import { freshSchema, testDatabaseUrl } from '@meridian/shared/testing';
import { PositionsIngestor } from './positions.ingestor';

const run = randomBytes(3).toString('hex');
const tenant = `pm${run}`;
const base = Date.now() - 60 * 60 * 1000;
const at = (s: number): string => new Date(base + s * 1000).toISOString();

/**
 * Projection's ingest metrics over real PostGIS: fixes written, geofence evaluations and the
 * enter/exit transitions they make, counted per committed batch.
 */
describe('PositionsIngestor metrics (real PostGIS, live geofencing)', () => {
  let dataSource: DataSource;
  let pool: Pool;
  let dropStore: () => Promise<void>;
  let ingestor: PositionsIngestor;
  const metrics = metricsFor(`projection-metrics-${run}`);

  beforeAll(async () => {
    dataSource = await createReadModelDataSource({
      url: testDatabaseUrl(),
      poolSize: 4,
      applicationName: `positions-metrics-${run}`,
    }).initialize();
    await migrateReadModel(dataSource);
    pool = poolOf(dataSource);
    const fresh = freshSchema(pool, 'geofence_metrics');
    dropStore = fresh.cleanup;
    await migrate(pool, fresh.schema, eventStoreMigrations(fresh.schema));
    const geofencer = new Geofencer(new PgEventStore(pool, fresh.schema));
    ingestor = new PositionsIngestor(pool, geofencer, [], metrics);
    await new ZoneWriter(pool, geofencer).created({
      zoneId: randomUUID(),
      tenantId: tenant,
      name: 'Depot',
      kind: 'geofence',
      // 8.50–8.60 E, 47.30–47.40 N
      geometry: squarePolygon(8.5, 47.3, 0.1),
      validFrom: null,
      validTo: null,
      sensitivity: 0,
      version: 1,
      createdAt: at(0),
    });
  });

  afterAll(async () => {
    await pool?.query('DELETE FROM read.zone_visits WHERE tenant_id = $1', [tenant]);
    await pool?.query('DELETE FROM read.zones WHERE tenant_id = $1', [tenant]);
    await pool?.query('DELETE FROM read.asset_latest WHERE tenant_id = $1', [tenant]);
    await dropStore?.();
    await dataSource?.destroy();
  });

  it('counts fixes written, fixes evaluated and transitions by type, per batch', async () => {
    const assetId = randomUUID();
    await new AssetLatestWriter(pool).applyRegistration({
      assetId,
      tenantId: tenant,
      name: 'drone',
      kind: 'drone',
      status: 'registered',
      version: 1,
    });
    const fix = (s: number, lon: number): Fix => ({ assetId, ts: at(s), lon, lat: 47.35 });
    const batch = (fixes: Fix[]): Envelope<{ fixes: Fix[] }> => ({
      id: randomUUID(),
      type: PositionBatchReportedV1.type,
      source: '/meridian/gateway',
      time: new Date().toISOString(),
      data: { fixes },
      correlationId: randomUUID(),
      tenantId: tenant,
    });
    // West of the zone, inside (enter), east of it (exit); then two more outside (no transition).
    await ingestor.storeBatches([batch([fix(10, 8.45), fix(20, 8.55), fix(30, 8.65)])]);
    await ingestor.storeBatches([batch([fix(40, 8.7)]), batch([fix(50, 8.75)])]);

    const samples = parseExposition((await metrics.scrape()).body);
    expect(valueOf(samples, 'meridian_telemetry_fixes_written_total')).toBe(5);
    expect(valueOf(samples, 'meridian_geofence_evaluations_total')).toBe(5);
    expect(valueOf(samples, 'meridian_geofence_transitions_total', { type: 'entered' })).toBe(1);
    expect(valueOf(samples, 'meridian_geofence_transitions_total', { type: 'exited' })).toBe(1);
    expect(ingestor.transitionsMade).toBe(2);
  });
});
