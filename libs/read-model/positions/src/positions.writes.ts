import type { Pool, PoolClient } from 'pg';
import { inTransaction } from '@meridian/shared/event-store';
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
) => Promise<void>;

const num = (v: number | undefined): number | null => (v === undefined ? null : v);

/** The instant of a timestamp at microsecond precision, whatever its offset or spelling. */
const instantKey = (ts: string): string => {
  const micros = /\.\d{3}(\d{0,3})/.exec(ts)?.[1] ?? '';
  return `${Date.parse(ts)}.${micros.padEnd(3, '0')}`;
};

/**
 * Two fixes of one asset with the same timestamp in one batch: the first (in Kafka order) wins, as
 * it does across batches (`ON CONFLICT DO NOTHING`), so the outcome never depends on how fixes
 * were batched. Pure: exported for tests.
 */
export function firstPerAssetAndTime(rows: readonly PositionRow[]): PositionRow[] {
  const seen = new Set<string>();
  const kept: PositionRow[] = [];
  for (const r of rows) {
    const key = `${r.assetId}|${instantKey(r.ts)}`;
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

/**
 * Batch writes of telemetry: one multi-row insert into the day partitions (a repeated
 * (asset_id, ts) is skipped) and one upsert of the newest fix per asset into asset_latest, which a
 * late fix never overwrites. Both in one transaction. Tenant-guarded: a fix for an asset that
 * belongs to another tenant writes nothing.
 */
export class PositionsWriter {
  readonly partitions: PositionPartitions;

  constructor(private readonly pool: Pool) {
    this.partitions = new PositionPartitions(pool);
  }

  /**
   * With `afterWrite`, the batch's asset_latest rows are locked first (in asset id order, as zone
   * changes lock them), so that what the hook sees as each asset's newest fix stays true until commit.
   */
  async write(batch: readonly PositionRow[], afterWrite?: AfterWrite): Promise<{ inserted: number }> {
    const rows = oneTenantPerAsset(firstPerAssetAndTime(batch));
    if (rows.length === 0) return { inserted: 0 };
    await this.partitions.ensure(rows.map((r) => dayOf(r.ts)));
    const params = [
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
    const client = await this.pool.connect();
    try {
      return await inTransaction(client, async () => {
        const newest = afterWrite ? await this.lockNewest(client, rows) : null;
        const inserted = await client.query(
          `INSERT INTO read.positions (tenant_id, asset_id, ts, geom, alt, speed, heading, battery, accuracy)
           SELECT t, a, ts, ST_SetSRID(ST_MakePoint(lon, lat), 4326), alt, speed, heading, battery, accuracy
           FROM ${FIX_COLUMNS}
           WHERE NOT EXISTS (SELECT 1 FROM read.asset_latest l WHERE l.asset_id = f.a AND l.tenant_id <> f.t)
           ON CONFLICT (asset_id, ts) DO NOTHING`,
          params,
        );
        await this.upsertLatest(client, params);
        if (afterWrite && newest) await afterWrite(client, rows, newest);
        return { inserted: inserted.rowCount ?? 0 };
      });
    } finally {
      client.release();
    }
  }

  private async lockNewest(client: PoolClient, rows: readonly PositionRow[]): Promise<Map<string, NewestBefore>> {
    const ids = [...new Set(rows.map((r) => r.assetId))].sort();
    const { rows: found } = await client.query<{ asset_id: string; tenant_id: string; micros: string | null }>(
      `SELECT asset_id, tenant_id, (extract(epoch FROM ts) * 1000000)::bigint::text AS micros
       FROM read.asset_latest WHERE asset_id = ANY($1::uuid[]) ORDER BY asset_id FOR UPDATE`,
      [ids],
    );
    return new Map(
      found.map((r) => [r.asset_id, { tenantId: r.tenant_id, tsMicros: r.micros === null ? null : Number(r.micros) }]),
    );
  }

  private async upsertLatest(client: PoolClient, params: unknown[]): Promise<void> {
    await client.query(
      `INSERT INTO read.asset_latest AS l (asset_id, tenant_id, geom, ts, alt, speed, heading, battery, accuracy)
       SELECT DISTINCT ON (a) a, t, ST_SetSRID(ST_MakePoint(lon, lat), 4326), ts, alt, speed, heading, battery, accuracy
       FROM ${FIX_COLUMNS}
       ORDER BY a, ts DESC
       ON CONFLICT (asset_id) DO UPDATE SET geom = EXCLUDED.geom, ts = EXCLUDED.ts, alt = EXCLUDED.alt,
         speed = EXCLUDED.speed, heading = EXCLUDED.heading, battery = EXCLUDED.battery,
         accuracy = EXCLUDED.accuracy, updated_at = now()
       WHERE (l.ts IS NULL OR l.ts < EXCLUDED.ts) AND l.tenant_id = EXCLUDED.tenant_id`,
      params,
    );
  }
}
