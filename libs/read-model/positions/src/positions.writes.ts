import { Readable } from 'node:stream';
import { pipeline } from 'node:stream/promises';
import type { Pool, PoolClient } from 'pg';
import { from as copyFrom } from 'pg-copy-streams';
import { inTransaction } from '@meridian/shared/event-store';
import { type CellFix, countCells, insertCellCounts } from './cells';
import { COPY_COLUMNS, copyLines } from './copy-format';
import { dayOf, PositionPartitions } from './partitions';

export interface PositionRow {
  readonly tenantId: string;
  readonly assetId: string;
  /** UTC, at most microsecond precision (the gateway normalises it). */
  readonly ts: string;
  readonly lon: number;
  readonly lat: number;
  readonly alt?: number;
  readonly speed?: number;
  readonly heading?: number;
  readonly battery?: number;
  readonly accuracy?: number;
}

/** An asset's newest fix before a batch, as its locked asset_latest row says. */
export interface NewestBefore {
  readonly tenantId: string;
  /** Epoch microseconds; null before the asset's first fix. */
  readonly tsMicros: number | null;
}

/**
 * Runs inside the write transaction after the fixes are stored (`rows`: the batch after dropping
 * in-batch repeats and foreign-tenant fixes, in arrival order), with each asset's newest fix
 * before the batch. Used by geofencing, whose writes must commit with the fixes.
 */
export type AfterWrite = (
  client: PoolClient,
  rows: readonly PositionRow[],
  newest: ReadonlyMap<string, NewestBefore>,
  /** Each row's instant in epoch microseconds (`epochMicros`), aligned with `rows`. */
  micros: readonly number[],
) => Promise<void>;

/** What runs inside a batch's transaction: `before` first of all (e.g. locks), `after` once the fixes are stored. */
export interface WriteHook {
  readonly before?: (client: PoolClient, rows: readonly PositionRow[]) => Promise<void>;
  readonly after?: AfterWrite;
}

/** Thrown when COPY meets a fix stored already: the batch is then written again with INSERT … ON CONFLICT. */
class CopyConflict extends Error {}

const num = (v: number | undefined): number | null => (v === undefined ? null : v);

/**
 * Microseconds since the epoch of an RFC 3339 timestamp, whatever its offset or spelling, at the
 * microsecond precision PostgreSQL keeps (Date.parse alone would make .000500 and .000900 equal).
 */
export function epochMicros(ts: string): number {
  const digits = /\.\d{3}(\d{0,3})/.exec(ts)?.[1] ?? '';
  return Date.parse(ts) * 1000 + Number(digits.padEnd(3, '0'));
}

/**
 * Two fixes of one asset with the same timestamp in one batch: the first (in Kafka order) wins, as
 * it does across batches (`ON CONFLICT DO NOTHING`), so the outcome never depends on how fixes
 * were batched. Pure: exported for tests.
 */
export function firstPerAssetAndTime(rows: readonly PositionRow[]): PositionRow[] {
  const seen = new Set<string>();
  const kept: PositionRow[] = [];
  for (const r of rows) {
    const key = `${r.assetId}|${epochMicros(r.ts)}`;
    if (seen.has(key)) continue;
    seen.add(key);
    kept.push(r);
  }
  return kept;
}

/**
 * An asset belongs to one tenant: when a batch carries fixes of one asset under two tenants (an
 * asset not yet in asset_latest, so the SQL guard cannot tell), the first tenant seen keeps it and
 * the others' fixes are dropped. Pure: exported for tests.
 */
export function oneTenantPerAsset(rows: readonly PositionRow[]): PositionRow[] {
  const owner = new Map<string, string>();
  return rows.filter((r) => {
    const first = owner.get(r.assetId);
    if (first === undefined) owner.set(r.assetId, r.tenantId);
    return first === undefined || first === r.tenantId;
  });
}

const FIX_COLUMNS = `unnest($1::text[], $2::uuid[], $3::timestamptz[], $4::float8[], $5::float8[], $6::real[],
  $7::real[], $8::real[], $9::real[], $10::real[]) AS f(t, a, ts, lon, lat, alt, speed, heading, battery, accuracy)`;

const paramsOf = (rows: readonly PositionRow[]): unknown[] => [
  rows.map((r) => r.tenantId),
  rows.map((r) => r.assetId),
  rows.map((r) => r.ts),
  rows.map((r) => r.lon),
  rows.map((r) => r.lat),
  rows.map((r) => num(r.alt)),
  rows.map((r) => num(r.speed)),
  rows.map((r) => num(r.heading)),
  rows.map((r) => num(r.battery)),
  rows.map((r) => num(r.accuracy)),
];

/** The newest fix of each asset in a batch (the first of equal instants; repeats are gone already). */
function newestPerAsset(rows: readonly PositionRow[], microsOf: readonly number[]): PositionRow[] {
  const newest = new Map<string, { row: PositionRow; micros: number }>();
  for (let i = 0; i < rows.length; i++) {
    const row = rows[i];
    const micros = microsOf[i];
    const seen = newest.get(row.assetId);
    if (!seen || micros > seen.micros) newest.set(row.assetId, { row, micros });
  }
  return [...newest.values()].map((n) => n.row).sort((a, b) => (a.assetId < b.assetId ? -1 : 1));
}

const UNIQUE_VIOLATION = '23505';

/**
 * Batch writes of telemetry into the day partitions of read.positions and the newest fix per asset
 * into asset_latest, in one transaction, tenant-guarded (a fix for an asset of another tenant
 * writes nothing). asset_latest is updated once per asset per batch and never by a late fix.
 *
 * The newest-fix update goes first and returns each asset's newest fix before the batch
 * (`previous_ts`): a fix newer than that cannot be stored yet, so those — nearly all of a live
 * stream — are written with COPY; only late fixes take `INSERT … ON CONFLICT DO NOTHING`, which
 * makes a repeat a no-op. Should the invariant ever not hold (a row stored by other means), COPY
 * hits the unique index and the batch is written again the careful way.
 */
export class PositionsWriter {
  readonly partitions: PositionPartitions;

  /**
   * `cellResolutions`: the H3 resolutions whose fix counts per hour are kept in read.position_cells
   * (for heatmaps), counted for the fixes this writer actually stores; empty keeps none.
   */
  constructor(
    private readonly pool: Pool,
    private readonly cellResolutions: readonly number[] = [],
  ) {
    this.partitions = new PositionPartitions(pool);
  }

  /**
   * `hooks.before` runs first in the transaction; `hooks.after` before commit, with each asset's
   * newest fix before the batch.
   */
  async write(batch: readonly PositionRow[], hooks: WriteHook = {}): Promise<{ inserted: number }> {
    const rows = oneTenantPerAsset(firstPerAssetAndTime(batch));
    if (rows.length === 0) return { inserted: 0 };
    await this.partitions.ensure(rows.map((r) => dayOf(r.ts)));
    try {
      return await this.inTransaction((client) => this.writeRows(client, rows, hooks, 'copy'));
    } catch (err) {
      // Only COPY's own conflict is retried this way; any other refusal is the caller's to handle.
      if (!(err instanceof CopyConflict)) throw err;
      return this.inTransaction((client) => this.writeRows(client, rows, hooks, 'insert'));
    }
  }

  private async inTransaction<T>(work: (client: PoolClient) => Promise<T>): Promise<T> {
    const client = await this.pool.connect();
    try {
      return await inTransaction(client, () => work(client));
    } finally {
      client.release();
    }
  }

  private async writeRows(
    client: PoolClient,
    rows: readonly PositionRow[],
    hooks: WriteHook,
    mode: 'copy' | 'insert',
  ): Promise<{ inserted: number }> {
    await hooks.before?.(client, rows);
    const micros = rows.map((r) => epochMicros(r.ts));
    const newest = await this.advanceLatest(client, rows, micros);
    const fresh: PositionRow[] = [];
    const late: PositionRow[] = [];
    const kept: PositionRow[] = [];
    const keptMicros: number[] = [];
    rows.forEach((r, i) => {
      const before = newest.get(r.assetId);
      if (before && before.tenantId !== r.tenantId) return;
      kept.push(r);
      keptMicros.push(micros[i]);
      if (mode === 'copy' && (!before || before.tsMicros === null || micros[i] > before.tsMicros)) fresh.push(r);
      else late.push(r);
    });
    let inserted = fresh.length > 0 ? await this.copy(client, fresh) : 0;
    const stored: CellFix[] = [...fresh];
    if (late.length > 0) {
      const result = await client.query<CellFix>(
        `INSERT INTO read.positions (tenant_id, asset_id, ts, geom, alt, speed, heading, battery, accuracy)
         SELECT t, a, ts, ST_SetSRID(ST_MakePoint(lon, lat), 4326), alt, speed, heading, battery, accuracy
         FROM ${FIX_COLUMNS}
         ON CONFLICT (asset_id, ts) DO NOTHING
         RETURNING tenant_id AS "tenantId", to_json(ts) #>> '{}' AS ts, ST_X(geom) AS lon, ST_Y(geom) AS lat`,
        paramsOf(late),
      );
      inserted += result.rowCount ?? 0;
      stored.push(...result.rows);
    }
    if (this.cellResolutions.length > 0) await insertCellCounts(client, countCells(stored, this.cellResolutions));
    await hooks.after?.(client, kept, newest, keptMicros);
    return { inserted };
  }

  /**
   * Moves asset_latest to each asset's newest fix of the batch and answers, per asset of the batch
   * that has a row, its tenant and newest fix before the batch. Assets without a row get one.
   */
  private async advanceLatest(
    client: PoolClient,
    rows: readonly PositionRow[],
    micros: readonly number[],
  ): Promise<Map<string, NewestBefore>> {
    const newest = newestPerAsset(rows, micros);
    const moved = await client.query<{ asset_id: string; tenant_id: string; micros: string | null }>(
      `UPDATE read.asset_latest AS l SET previous_ts = l.ts, geom = ST_SetSRID(ST_MakePoint(f.lon, f.lat), 4326),
         ts = f.ts, alt = f.alt, speed = f.speed, heading = f.heading, battery = f.battery, accuracy = f.accuracy,
         updated_at = now()
       FROM ${FIX_COLUMNS}
       WHERE l.asset_id = f.a AND l.tenant_id = f.t AND (l.ts IS NULL OR l.ts < f.ts)
       RETURNING l.asset_id, l.tenant_id, (extract(epoch FROM l.previous_ts) * 1000000)::bigint::text AS micros`,
      paramsOf(newest),
    );
    const before = new Map<string, NewestBefore>();
    for (const r of moved.rows) {
      before.set(r.asset_id, { tenantId: r.tenant_id, tsMicros: r.micros === null ? null : Number(r.micros) });
    }
    const others = newest.filter((r) => !before.has(r.assetId));
    if (others.length === 0) return before;
    // Not moved: another tenant's asset, an asset whose batch is all late, or one without a row yet.
    const { rows: existing } = await client.query<{ asset_id: string; tenant_id: string; micros: string | null }>(
      `SELECT asset_id, tenant_id, (extract(epoch FROM ts) * 1000000)::bigint::text AS micros
       FROM read.asset_latest WHERE asset_id = ANY($1::uuid[])`,
      [others.map((r) => r.assetId)],
    );
    for (const r of existing) {
      before.set(r.asset_id, { tenantId: r.tenant_id, tsMicros: r.micros === null ? null : Number(r.micros) });
    }
    const created = others.filter((r) => !before.has(r.assetId));
    if (created.length > 0) await this.upsertLatest(client, paramsOf(created));
    return before;
  }

  /** COPY of fixes none of which can be stored yet (each newer than its asset's newest). */
  private async copy(client: PoolClient, rows: readonly PositionRow[]): Promise<number> {
    const stream = client.query(copyFrom(`COPY read.positions ${COPY_COLUMNS} FROM STDIN`));
    try {
      await pipeline(Readable.from([copyLines(rows)]), stream);
    } catch (err) {
      if ((err as { code?: string }).code === UNIQUE_VIOLATION) throw new CopyConflict((err as Error).message);
      throw err;
    }
    return stream.rowCount;
  }

  /** An asset's first fix, racing its registration: the row may have appeared meanwhile (then it is updated). */
  private async upsertLatest(client: PoolClient, params: unknown[]): Promise<void> {
    await client.query(
      `INSERT INTO read.asset_latest AS l (asset_id, tenant_id, geom, ts, alt, speed, heading, battery, accuracy)
       SELECT a, t, ST_SetSRID(ST_MakePoint(lon, lat), 4326), ts, alt, speed, heading, battery, accuracy
       FROM ${FIX_COLUMNS}
       ON CONFLICT (asset_id) DO UPDATE SET previous_ts = l.ts, geom = EXCLUDED.geom, ts = EXCLUDED.ts,
         alt = EXCLUDED.alt, speed = EXCLUDED.speed, heading = EXCLUDED.heading, battery = EXCLUDED.battery,
         accuracy = EXCLUDED.accuracy, updated_at = now()
       WHERE (l.ts IS NULL OR l.ts < EXCLUDED.ts) AND l.tenant_id = EXCLUDED.tenant_id`,
      params,
    );
  }
}
