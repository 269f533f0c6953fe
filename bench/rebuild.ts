/**
 * Benchmark: projection rebuild (DESIGN §8: ≥ 30,000 events/s). `npm run projections -- rebuild`
 * as the CLI runs it (`rebuild` from tools/projections.ts: its own pool, workflow's mapper, the
 * shadow table, catch-up and swap) for `zones` and then `asset-latest`, each reading all of `$all`
 * of a workflow event store, against the baseline of reading the same events raw: the same
 * commit-safe `SELECT` of `$all` that `readAll` sends, paged the same way, rows decoded by pg and
 * nothing else. Value: events read per second over both rebuilds (each reads every event);
 * baseline: events per second of one raw read. Rounds alternate baseline and rebuilds; medians.
 *
 * The events are workflow's domain events (zones created, replaced, some archived; assets
 * registered with status changes) appended by `appendToStreams` in schema `workflow`; fixes go
 * through PositionsWriter, so asset-latest also rewrites every asset's newest fix. A first rebuild
 * of each (not timed) fills the live tables, so the timed ones replace full tables, as in
 * production. Schema `read` is fixed, so this runs in a database of its own
 * (`meridian_bench_rebuild`, created with PostGIS, dropped at the end).
 */
import { randomUUID } from 'node:crypto';
import { Pool } from 'pg';
import { PositionsWriter, type PositionRow } from '@meridian/read-model/positions';
import type { NewEvent } from '@meridian/shared/decider';
import { type AllPosition, eventStoreMigrations, migrate, PgEventStore, START } from '@meridian/shared/event-store';
import { migrateReadModels } from '../tools/migrate';
import { rebuild, type RebuildArgs, type ReadModelName } from '../tools/projections';
import { type BenchResult, fmt, median, result, round, say, scaled, timed, withTicker } from './harness';
import { checkpoint, databaseUrl, dropDatabase, recreateDatabase } from './infra';
import { squarePolygon } from '@meridian/shared/geometry';

export const REBUILD_DATABASE = 'meridian_bench_rebuild';
const SCHEMA = 'workflow';
const TENANT = 'bench-rebuild';

export interface RebuildParams {
  /** Events in the store (rounded to whole streams). */
  readonly events: number;
  /** Share of them that are zone events. */
  readonly zoneShare: number;
  /** Status changes per asset after its registration. */
  readonly statusChanges: number;
  readonly fixesPerAsset: number;
  /** Stored events per read of `$all`, for the rebuild and the baseline. */
  readonly pageSize: number;
  readonly rounds: number;
}

const square = squarePolygon;

type Appended = NewEvent & { readonly streamId: string };
const event = (streamId: string, type: string, data: unknown): Appended => ({
  id: randomUUID(),
  streamId,
  type,
  data,
  metadata: { tenantId: TENANT, correlationId: randomUUID() },
});

/** The `round`-th event of zone `i`'s stream: created, replaced, every fourth archived; null past its end. */
function zoneEvent(i: number, zoneId: string, round: number, at: string): Appended | null {
  const streamId = `zone-${zoneId}`;
  const x = (i % 300) * 0.5 - 75;
  const y = Math.floor(i / 300) * 0.01 - 60;
  const content = { name: `zone ${i}`, validFrom: null, validTo: null, sensitivity: i % 5 };
  if (round === 0) {
    const geometry = square(x, y, 0.004);
    return event(streamId, 'zone.created.v1', {
      ...content,
      zoneId,
      tenantId: TENANT,
      kind: 'geofence',
      geometry,
      createdAt: at,
    });
  }
  if (round === 1) {
    return event(streamId, 'zone.replaced.v1', { ...content, zoneId, geometry: square(x, y, 0.005), replacedAt: at });
  }
  return round === 2 && i % 4 === 0 ? event(streamId, 'zone.archived.v1', { zoneId, archivedAt: at }) : null;
}

const statuses = ['available', 'assigned', 'available', 'maintenance'] as const;

/** The `round`-th event of an asset's stream: registered, then `changes` status changes; null past its end. */
function assetEvent(assetId: string, round: number, changes: number, at: string): Appended | null {
  const streamId = `asset-${assetId}`;
  if (round === 0) {
    return event(streamId, 'asset.registered.v1', {
      assetId,
      tenantId: TENANT,
      name: 'drone',
      kind: 'drone',
      registeredAt: at,
    });
  }
  if (round > changes) return null;
  const from = round === 1 ? 'registered' : statuses[(round - 2) % statuses.length];
  return event(streamId, 'asset.status-changed.v1', {
    assetId,
    from,
    to: statuses[(round - 1) % statuses.length],
    changedAt: at,
  });
}

/** The raw read: readAll's SQL, rows as pg decodes them. */
async function rawReadAll(pool: Pool, pageSize: number): Promise<number> {
  let after: AllPosition = START;
  let read = 0;
  for (;;) {
    const { rows } = await pool.query<{ t: string; g: string }>(
      `SELECT e.global_position AS g, e.transaction_id::text AS t, e.stream_id, e.stream_version, e.event_id, e.type,
              e.schema_version, e.data, e.metadata, e.recorded_at
       FROM ${SCHEMA}.events e
       WHERE (e.transaction_id, e.global_position) > ($1::xid8, $2::bigint)
         AND e.transaction_id < pg_snapshot_xmin(pg_current_snapshot())
       ORDER BY e.transaction_id, e.global_position
       LIMIT $3`,
      [after.transactionId, after.globalPosition, pageSize],
    );
    if (rows.length === 0) return read;
    read += rows.length;
    const last = rows[rows.length - 1];
    after = { transactionId: last.t, globalPosition: last.g };
  }
}

export async function rebuildBenchmark(pgUrl: string, params: RebuildParams): Promise<BenchResult> {
  const url = databaseUrl(pgUrl, REBUILD_DATABASE);
  say(`  database ${REBUILD_DATABASE}: fresh, PostGIS, read-model migrations, event store ${SCHEMA}`);
  await recreateDatabase(url);
  await migrateReadModels(url);
  const pool = new Pool({ connectionString: url, max: 4, application_name: 'meridian-bench-rebuild' });
  try {
    await migrate(pool, SCHEMA, eventStoreMigrations(SCHEMA));
    const store = new PgEventStore(pool, SCHEMA);
    const at = new Date().toISOString();

    // The store: aggregates created, then changed over time — round r appends the r-th event of
    // every zone and asset stream, so a page of `$all` mostly holds distinct aggregates, as a real
    // history does. Appended a few hundred events at a time.
    const perZone = 2.25;
    const zones = Math.max(1, Math.round((params.events * params.zoneShare) / perZone));
    const perAsset = 1 + params.statusChanges;
    const assets = Math.max(1, Math.round((params.events - zones * perZone) / perAsset));
    const zoneIds = Array.from({ length: zones }, () => randomUUID());
    const assetIds = Array.from({ length: assets }, () => randomUUID());
    let pending: Appended[] = [];
    let stored = 0;
    const flush = async (force = false): Promise<void> => {
      if (pending.length < 500 && !force) return;
      await store.appendToStreams(pending, pool);
      stored += pending.length;
      pending = [];
    };
    const push = async (e: Appended | null): Promise<void> => {
      if (e) pending.push(e);
      await flush();
    };
    await withTicker(
      (async () => {
        for (let round = 0; round <= Math.max(2, params.statusChanges); round++) {
          for (let i = 0; i < zones; i++) await push(zoneEvent(i, zoneIds[i], round, at));
          for (const assetId of assetIds) await push(assetEvent(assetId, round, params.statusChanges, at));
        }
        await flush(true);
      })(),
      () => `appending: ${fmt(stored)} events`,
    );
    say(`  ${fmt(stored)} events: ${fmt(zones)} zones (2–3 events each), ${fmt(assets)} assets × ${perAsset} events`);

    // Fixes, in batches of 1,000 as the projection writes them.
    const writer = new PositionsWriter(pool);
    const base = Date.now() - 60 * 60 * 1000;
    let fixes = 0;
    await withTicker(
      (async () => {
        for (let k = 0; k < params.fixesPerAsset; k++) {
          for (let i = 0; i < assetIds.length; i += 1000) {
            const batch: PositionRow[] = assetIds.slice(i, i + 1000).map((assetId, j) => ({
              tenantId: TENANT,
              assetId,
              ts: new Date(base + k * 1000 + j).toISOString(),
              lon: ((i + j) % 360) - 180 + 0.5,
              lat: (k % 80) - 40 + 0.5,
              speed: k,
            }));
            fixes += (await writer.write(batch)).inserted;
          }
        }
      })(),
      () => `fixes: ${fmt(fixes)}`,
    );
    say(`  ${fmt(fixes)} fixes stored`);

    const args = (readModel: ReadModelName): RebuildArgs => ({
      readModel,
      databaseUrl: url,
      eventStoreSchema: SCHEMA,
      pageSize: params.pageSize,
      lockTimeoutMs: 2000,
    });
    // `$all` shows nothing behind a transaction still running anywhere on the server (ADR 0001).
    let visible = 0;
    await withTicker(
      (async () => {
        while ((visible = await rawReadAll(pool, params.pageSize)) < stored) {
          await new Promise((r) => setTimeout(r, 200));
        }
      })(),
      () => `$all shows ${fmt(visible)} of ${fmt(stored)} events (an older transaction elsewhere holds it back)`,
    );
    say('  warm-up: a first rebuild of each fills the live tables (not timed)');
    await rebuild(args('zones'));
    await rebuild(args('asset-latest'));

    const rawMs: number[] = [];
    const zonesMs: number[] = [];
    const assetsMs: number[] = [];
    const lockHeldMs: number[] = [];
    let fixRows = 0;
    for (let r = 0; r < params.rounds; r++) {
      await checkpoint(pool);
      let n = 0;
      rawMs.push(await timed(async () => (n = await rawReadAll(pool, params.pageSize))));
      await checkpoint(pool);
      const zones = await withTicker(rebuild(args('zones')), () => 'rebuilding zones');
      await checkpoint(pool);
      const assetLatest = await withTicker(rebuild(args('asset-latest')), () => 'rebuilding asset-latest');
      zonesMs.push(zones.elapsedMs);
      assetsMs.push(assetLatest.elapsedMs);
      lockHeldMs.push(zones.lockHeldMs, assetLatest.lockHeldMs);
      if (n !== stored || zones.eventsRead !== stored || assetLatest.eventsRead !== stored) {
        say(`  WARNING: read ${n} / ${zones.eventsRead} / ${assetLatest.eventsRead} of ${stored} events`);
      }
      fixRows = assetLatest.sideRows;
      say(
        `  round ${r + 1}/${params.rounds}: raw read ${fmt(n)} events in ${fmt(rawMs[r])} ms; zones ` +
          `${fmt(zones.elapsedMs)} ms (${fmt(zones.rowsChanged)} rows changed), asset-latest ` +
          `${fmt(assetLatest.elapsedMs)} ms (${fmt(assetLatest.rowsChanged)} rows changed, ${fmt(fixRows)} from fixes)`,
      );
    }
    const rate = (ms: number) => (stored * 1000) / ms;
    const value = (2 * stored * 1000) / (median(zonesMs) + median(assetsMs));
    return result({
      name: 'projection-rebuild',
      title: `Projection rebuild, zones + asset-latest, ${fmt(stored)} events`,
      value,
      unit: 'events/s',
      baseline: rate(median(rawMs)),
      baselineName: 'raw SELECT of $all',
      valueName: 'rebuild',
      better: 'higher',
      parameters: { ...params, storedEvents: stored, zones, assets, fixes },
      details: {
        zonesEventsPerSecond: round(rate(median(zonesMs))),
        assetLatestEventsPerSecond: round(rate(median(assetsMs))),
        zonesMs: zonesMs.map(round),
        assetLatestMs: assetsMs.map(round),
        rawReadMs: rawMs.map(round),
        lockHeldMs: lockHeldMs.map(round),
        assetLatestRowsFromFixes: fixRows,
      },
    });
  } finally {
    await pool.end().catch(() => undefined);
    await dropDatabase(url);
  }
}

/** The run's sizes at `scale` (run.ts's --scale / BENCH_SCALE): 100,000 events, a fifth of them zone events. */
export const rebuildParams = (scale: number): RebuildParams => ({
  events: scaled(100_000, scale, 1000),
  zoneShare: 0.2,
  statusChanges: 4,
  fixesPerAsset: 5,
  pageSize: 2000,
  rounds: 3,
});
