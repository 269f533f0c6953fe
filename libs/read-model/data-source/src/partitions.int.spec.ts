import { randomBytes, randomUUID } from 'node:crypto';
import { type Pool, type PoolClient, Pool as PgPool } from 'pg';
import type { DataSource } from 'typeorm';
import { afterAll, beforeAll, describe, expect, it } from '@jest/globals';
import { partitionName, PositionPartitions, PositionsWriter } from '@meridian/read-model/positions';
import { eventually, testDatabaseUrl } from '@meridian/shared/testing';
import { createReadModelDataSource, migrateReadModel, poolOf } from './data-source';

/*
 * PositionPartitions (read-model/positions) against the read schema exactly as migrateReadModel makes it.
 * This spec lives in data-source, the one read-model lib that may import the table groups: in
 * read-model/positions it would import data-source, a dependency cycle lint refuses (flagging data-source.ts).
 */

// Days are a run's own stretch of the next century, whose partitions it drops at the end.
const run = randomBytes(3).toString('hex');
const appName = `partitions-spec-${run}`;
const DAY_MS = 86_400_000;
const SPAN_DAYS = 13;
const isoDay = (day: number): string => new Date(day * DAY_MS).toISOString().slice(0, 10);
/** The key PositionPartitions serialises creation on. */
const LOCK = `hashtext('meridian.positions.partitions')`;

describe('PositionPartitions (real PostgreSQL)', () => {
  let dataSource: DataSource;
  let pool: Pool;
  /** Waits at most 3 s for a lock: an instance that should not need the partition lock fails fast here. */
  let impatient: Pool;
  let base: number;

  const range = (from: number, to: number): number[] => Array.from({ length: to - from + 1 }, (_, i) => from + i);

  /** Partitions of read.positions among this run's days, with their bounds. */
  async function partitions(): Promise<{ day: number; bound: string }[]> {
    const { rows } = await pool.query<{ name: string; bound: string }>(
      `SELECT c.relname AS name, pg_get_expr(c.relpartbound, c.oid) AS bound FROM pg_inherits i
       JOIN pg_class c ON c.oid = i.inhrelid WHERE i.inhparent = 'read.positions'::regclass`,
    );
    const mine = new Map(range(base, base + SPAN_DAYS - 1).map((d) => [partitionName(d), d]));
    return rows
      .filter((r) => mine.has(r.name))
      .map((r) => ({ day: mine.get(r.name) ?? NaN, bound: r.bound }))
      .sort((a, b) => a.day - b.day);
  }

  const bounded = (day: number): { day: number; bound: string } => ({
    day,
    bound: `FOR VALUES FROM ('${isoDay(day)} 00:00:00+00') TO ('${isoDay(day + 1)} 00:00:00+00')`,
  });

  /** Holds the partition lock from another session while `work` runs. */
  async function whileLocked<T>(work: (client: PoolClient) => Promise<T>): Promise<T> {
    const client = await pool.connect();
    try {
      await client.query(`SELECT pg_advisory_lock(${LOCK})`);
      try {
        return await work(client);
      } finally {
        await client.query(`SELECT pg_advisory_unlock(${LOCK})`);
      }
    } finally {
      client.release();
    }
  }

  beforeAll(async () => {
    dataSource = await createReadModelDataSource({
      url: testDatabaseUrl(),
      poolSize: 6,
      applicationName: appName,
    }).initialize();
    await migrateReadModel(dataSource);
    pool = poolOf(dataSource);
    impatient = new PgPool({ connectionString: testDatabaseUrl(), max: 2, options: '-c lock_timeout=3000' });

    const first = Date.UTC(2101, 0, 1) / DAY_MS;
    const last = Date.UTC(2199, 0, 1) / DAY_MS;
    for (;;) {
      base = first + Math.floor(Math.random() * (last - first));
      if ((await partitions()).length === 0) break;
    }
  });

  afterAll(async () => {
    if (pool) {
      await pool.query(`DELETE FROM read.positions WHERE tenant_id = $1`, [`pp${run}`]);
      await pool.query(`DELETE FROM read.asset_latest WHERE tenant_id = $1`, [`pp${run}`]);
      for (const day of range(base, base + SPAN_DAYS - 1)) {
        await pool.query(`DROP TABLE IF EXISTS read.${partitionName(day)}`);
      }
    }
    await impatient?.end();
    await dataSource?.destroy();
  });

  it('creates one partition per UTC day of the window around now', async () => {
    // The last millisecond of day base+3: today is still base+3.
    const now = (base + 4) * DAY_MS - 1;

    const created = await new PositionPartitions(pool).ensureAhead(now, 2, 2);

    expect(created).toEqual(range(base + 1, base + 5));
    expect(await partitions()).toEqual(range(base + 1, base + 5).map(bounded));
  });

  it('detects the partitions that exist: another instance creates only what is missing', async () => {
    const now = (base + 3) * DAY_MS + 12 * 3_600_000;

    // Holding the partition lock: an instance that tried to create anything would time out on it.
    const again = await whileLocked(() => new PositionPartitions(impatient).ensureAhead(now, 2, 2));
    expect(again).toEqual([]);

    expect(await new PositionPartitions(pool).ensureAhead(now, 3, 3)).toEqual([base, base + 6]);
    expect(await partitions()).toEqual(range(base, base + 6).map(bounded));
  });

  it('writers of a day made ahead never wait for the partition lock', async () => {
    const writer = new PositionsWriter(impatient);
    const fix = { tenantId: `pp${run}`, assetId: randomUUID(), ts: `${isoDay(base + 4)}T10:00:00Z`, lon: 1, lat: 2 };

    expect(await whileLocked(() => writer.write([fix]))).toEqual({ inserted: 1 });
  });

  it('is safe when two instances create the same partitions at the same time', async () => {
    const now = (base + 10) * DAY_MS;
    const window = range(base + 8, base + 12);

    const results = await whileLocked(async () => {
      // Both find the days missing and queue on the lock; then both go ahead, one after the other.
      const racing = [new PositionPartitions(pool), new PositionPartitions(pool)].map((p) => p.ensureAhead(now, 2, 2));
      await eventually(async () => {
        const { rows } = await pool.query<{ waiting: number }>(
          `SELECT count(*)::int AS waiting FROM pg_stat_activity
           WHERE application_name = $1 AND wait_event_type = 'Lock' AND wait_event = 'advisory'`,
          [appName],
        );
        expect(rows[0].waiting).toBe(2);
      });
      return racing;
    }).then((racing) => Promise.all(racing));

    expect(new Set(results.flat())).toEqual(new Set(window));
    expect((await partitions()).filter((p) => p.day >= base + 8)).toEqual(window.map(bounded));
    const fixes = window.map((d) => ({
      tenantId: `pp${run}`,
      assetId: randomUUID(),
      ts: `${isoDay(d)}T00:00:00Z`,
      lon: 0,
      lat: 0,
    }));
    expect(await new PositionsWriter(pool).write(fixes)).toEqual({ inserted: window.length });
  });
});
