import type { Pool, PoolClient } from 'pg';
import { inTransaction } from '@meridian/shared/event-store';

export interface PositionRow {
  readonly tenantId: string;
  readonly assetId: string;
  readonly ts: string;
  readonly lon: number;
  readonly lat: number;
  readonly alt?: number;
  readonly speed?: number;
  readonly heading?: number;
  readonly battery?: number;
  readonly accuracy?: number;
}

const DAY_MS = 86_400_000;
const dayOf = (ts: string): number => Math.floor(Date.parse(ts) / DAY_MS);
const isoDay = (day: number): string => new Date(day * DAY_MS).toISOString().slice(0, 10);
const num = (v: number | undefined): number | null => (v === undefined ? null : v);

/**
 * Batch writes of telemetry: one multi-row insert into the day partitions (a repeated
 * (asset_id, ts) is skipped) and one upsert of the newest fix per asset into asset_latest,
 * which a late fix never overwrites. Both in one transaction.
 */
export class PositionsRepository {
  private readonly partitions = new Set<number>();

  constructor(private readonly pool: Pool) {}

  async write(rows: readonly PositionRow[]): Promise<{ inserted: number }> {
    if (rows.length === 0) return { inserted: 0 };
    await this.ensurePartitions(rows);
    const cols = {
      tenant: rows.map((r) => r.tenantId),
      asset: rows.map((r) => r.assetId),
      ts: rows.map((r) => r.ts),
      lon: rows.map((r) => r.lon),
      lat: rows.map((r) => r.lat),
      alt: rows.map((r) => num(r.alt)),
      speed: rows.map((r) => num(r.speed)),
      heading: rows.map((r) => num(r.heading)),
      battery: rows.map((r) => num(r.battery)),
      accuracy: rows.map((r) => num(r.accuracy)),
    };
    const params = [cols.tenant, cols.asset, cols.ts, cols.lon, cols.lat, cols.alt, cols.speed, cols.heading, cols.battery, cols.accuracy];
    const client = await this.pool.connect();
    try {
      return await inTransaction(client, async () => {
        const inserted = await client.query(
          `INSERT INTO read.positions (tenant_id, asset_id, ts, geom, alt, speed, heading, battery, accuracy)
           SELECT t, a, ts, ST_SetSRID(ST_MakePoint(lon, lat), 4326), alt, speed, heading, battery, accuracy
           FROM unnest($1::text[], $2::uuid[], $3::timestamptz[], $4::float8[], $5::float8[], $6::real[], $7::real[], $8::real[], $9::real[], $10::real[])
             AS f(t, a, ts, lon, lat, alt, speed, heading, battery, accuracy)
           ON CONFLICT (asset_id, ts) DO NOTHING`,
          params,
        );
        await this.upsertLatest(client, params);
        return { inserted: inserted.rowCount ?? 0 };
      });
    } finally {
      client.release();
    }
  }

  private async upsertLatest(client: PoolClient, params: unknown[]): Promise<void> {
    await client.query(
      `INSERT INTO read.asset_latest AS l (asset_id, tenant_id, geom, ts, alt, speed, heading, battery, accuracy)
       SELECT DISTINCT ON (a) a, t, ST_SetSRID(ST_MakePoint(lon, lat), 4326), ts, alt, speed, heading, battery, accuracy
       FROM unnest($1::text[], $2::uuid[], $3::timestamptz[], $4::float8[], $5::float8[], $6::real[], $7::real[], $8::real[], $9::real[], $10::real[])
         AS f(t, a, ts, lon, lat, alt, speed, heading, battery, accuracy)
       ORDER BY a, ts DESC
       ON CONFLICT (asset_id) DO UPDATE SET geom = EXCLUDED.geom, ts = EXCLUDED.ts, alt = EXCLUDED.alt,
         speed = EXCLUDED.speed, heading = EXCLUDED.heading, battery = EXCLUDED.battery,
         accuracy = EXCLUDED.accuracy, updated_at = now()
       WHERE (l.ts IS NULL OR l.ts < EXCLUDED.ts) AND l.tenant_id = EXCLUDED.tenant_id`,
      params,
    );
  }

  /** Day partitions are created on first use, under an advisory lock so replicas do not race. */
  private async ensurePartitions(rows: readonly PositionRow[]): Promise<void> {
    const missing = [...new Set(rows.map((r) => dayOf(r.ts)))].filter((d) => !this.partitions.has(d));
    if (missing.length === 0) return;
    const client = await this.pool.connect();
    try {
      await inTransaction(client, async () => {
        await client.query(`SELECT pg_advisory_xact_lock(hashtext('meridian.positions.partitions'))`);
        for (const day of missing) {
          const name = `positions_${isoDay(day).replace(/-/g, '')}`;
          await client.query(
            `CREATE TABLE IF NOT EXISTS read.${name} PARTITION OF read.positions FOR VALUES FROM ('${isoDay(day)} 00:00:00+00') TO ('${isoDay(day + 1)} 00:00:00+00')`,
          );
        }
      });
      missing.forEach((d) => this.partitions.add(d));
    } finally {
      client.release();
    }
  }
}
