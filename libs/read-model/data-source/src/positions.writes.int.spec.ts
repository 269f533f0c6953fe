import { randomBytes, randomUUID } from 'node:crypto';
import type { Pool } from 'pg';
import type { DataSource } from 'typeorm';
import { afterAll, beforeAll, describe, expect, it } from '@jest/globals';
import { AssetLatestWriter } from '@meridian/read-model/assets';
import { partitionName, type PositionRow, PositionsWriter } from '@meridian/read-model/positions';
import { testDatabaseUrl } from '@meridian/shared/testing';
import { createReadModelDataSource, migrateReadModel, poolOf } from './data-source';

/*
 * PositionsWriter (read-model/positions) against the read schema exactly as migrateReadModel makes it.
 * This spec lives in data-source, the one read-model lib that may import the table groups: in
 * read-model/positions it would import data-source, a dependency cycle lint refuses (flagging data-source.ts).
 */

// Tenants are unique per run; days are a run's own stretch of the past, whose partitions it drops at the end.
const run = randomBytes(3).toString('hex');
const tenant = (name: string): string => `pw${run}-${name}`;
const DAY_MS = 86_400_000;
const SPAN_DAYS = 8;
const isoDay = (day: number): string => new Date(day * DAY_MS).toISOString().slice(0, 10);

interface Stored {
  tenant_id: string;
  ts: string;
  lon: number;
  lat: number;
  part: string;
}

interface Latest {
  tenant_id: string;
  name: string | null;
  ts: string | null;
  lon: number | null;
  lat: number | null;
  updated_at: string;
}

const utc = (column: string): string => `to_char(${column} AT TIME ZONE 'UTC', 'YYYY-MM-DD"T"HH24:MI:SS.US"Z"')`;

describe('PositionsWriter on read.positions and read.asset_latest (real PostGIS)', () => {
  let dataSource: DataSource;
  let pool: Pool;
  let writer: PositionsWriter;
  let assets: AssetLatestWriter;
  /** The first of this run's days: SPAN_DAYS days of 1901–1998 that have no partition yet. */
  let base: number;
  const day = (offset: number): string => isoDay(base + offset);

  const fix = (tenantId: string, assetId: string, ts: string, lon: number, lat = 45): PositionRow => ({
    tenantId,
    assetId,
    ts,
    lon,
    lat,
  });

  const stored = async (assetId: string): Promise<Stored[]> =>
    (
      await pool.query<Stored>(
        `SELECT tenant_id, ${utc('ts')} AS ts, ST_X(geom) AS lon, ST_Y(geom) AS lat, tableoid::regclass::text AS part
         FROM read.positions WHERE asset_id = $1 ORDER BY ts`,
        [assetId],
      )
    ).rows;

  const latest = async (assetId: string): Promise<Latest | undefined> =>
    (
      await pool.query<Latest>(
        `SELECT tenant_id, name, ${utc('ts')} AS ts, ST_X(geom) AS lon, ST_Y(geom) AS lat, updated_at::text
         FROM read.asset_latest WHERE asset_id = $1`,
        [assetId],
      )
    ).rows[0];

  const partitionExists = async (dayNumber: number): Promise<boolean> =>
    (await pool.query(`SELECT to_regclass($1) IS NOT NULL AS e`, [`read.${partitionName(dayNumber)}`])).rows[0].e;

  const register = (assetId: string, tenantId: string): Promise<boolean> =>
    assets.applyRegistration({ assetId, tenantId, name: 'Owned', kind: 'drone', status: 'registered', version: 1 });

  beforeAll(async () => {
    dataSource = await createReadModelDataSource({
      url: testDatabaseUrl(),
      poolSize: 4,
      applicationName: `positions-writes-spec-${run}`,
    }).initialize();
    await migrateReadModel(dataSource);
    pool = poolOf(dataSource);
    writer = new PositionsWriter(pool);
    assets = new AssetLatestWriter(pool);

    const first = Date.UTC(1901, 0, 1) / DAY_MS;
    const last = Date.UTC(1998, 11, 1) / DAY_MS;
    for (;;) {
      base = first + Math.floor(Math.random() * (last - first));
      const taken = await Promise.all(Array.from({ length: SPAN_DAYS }, (_, i) => partitionExists(base + i)));
      if (!taken.includes(true)) break;
    }
  });

  afterAll(async () => {
    if (pool) {
      await pool.query(`DELETE FROM read.positions WHERE tenant_id LIKE $1`, [`pw${run}-%`]);
      await pool.query(`DELETE FROM read.asset_latest WHERE tenant_id LIKE $1`, [`pw${run}-%`]);
      for (let i = 0; i < SPAN_DAYS; i++) await pool.query(`DROP TABLE IF EXISTS read.${partitionName(base + i)}`);
    }
    await dataSource?.destroy();
  });

  describe('tenant guard', () => {
    it("writes nothing for a fix of another tenant's asset, and stores the rest of the batch", async () => {
      const owner = tenant('owner');
      const intruder = tenant('intruder');
      const owned = randomUUID();
      const theirs = randomUUID();
      await register(owned, owner);
      await writer.write([fix(owner, owned, `${day(0)}T10:00:00Z`, 10)]);
      const before = await latest(owned);

      // Newer than the owner's fix, so only the tenant check keeps it out of asset_latest.
      const result = await writer.write([
        fix(intruder, owned, `${day(0)}T11:00:00Z`, -70),
        fix(intruder, theirs, `${day(0)}T11:00:00Z`, 20),
      ]);

      expect(result).toEqual({ inserted: 1 });
      expect(await stored(owned)).toEqual([
        { tenant_id: owner, ts: `${day(0)}T10:00:00.000000Z`, lon: 10, lat: 45, part: `read.${partitionName(base)}` },
      ]);
      expect(await latest(owned)).toEqual(before);
      expect(before).toMatchObject({ tenant_id: owner, name: 'Owned', lon: 10, ts: `${day(0)}T10:00:00.000000Z` });
      expect(await stored(theirs)).toMatchObject([{ tenant_id: intruder, lon: 20 }]);
      expect(await latest(theirs)).toMatchObject({ tenant_id: intruder, name: null, lon: 20 });
    });

    it('writes nothing for a fix of an asset that another tenant’s fix created before its registration', async () => {
      const owner = tenant('fix-owner');
      const intruder = tenant('fix-intruder');
      const id = randomUUID();
      await writer.write([fix(owner, id, `${day(0)}T08:00:00Z`, 7)]);
      const before = await latest(id);

      expect(await writer.write([fix(intruder, id, `${day(0)}T09:00:00Z`, 8)])).toEqual({ inserted: 0 });

      expect((await stored(id)).map((s) => s.tenant_id)).toEqual([owner]);
      expect(await latest(id)).toEqual(before);
      expect(before).toMatchObject({ tenant_id: owner, name: null, lon: 7 });
    });
  });

  describe('two fixes of one asset with the same instant in one batch', () => {
    const spellings: readonly { name: string; first: (d: string) => string; second: (d: string) => string }[] = [
      { name: '.000Z and Z', first: (d) => `${d}T10:00:00.000Z`, second: (d) => `${d}T10:00:00Z` },
      { name: 'Z and +01:00', first: (d) => `${d}T10:00:00Z`, second: (d) => `${d}T11:00:00+01:00` },
      {
        name: 'microseconds, Z and -04:30',
        first: (d) => `${d}T10:00:00.123450Z`,
        second: (d) => `${d}T05:30:00.12345-04:30`,
      },
    ];

    it.each(spellings)('stores one row, the first in batch order, whatever the spelling: $name', async (s) => {
      const t = tenant('same-instant');
      const a = randomUUID();
      const b = randomUUID();
      const d = day(1);
      const instant = new Date(Date.parse(s.first(d))).toISOString().replace('Z', '');
      const micros = /\.\d{3}(\d{0,3})/.exec(s.first(d))?.[1] ?? '';
      const expectedTs = `${instant}${micros.padEnd(3, '0')}Z`;

      const result = await writer.write([
        fix(t, a, `${d}T09:00:00Z`, 0),
        fix(t, a, s.first(d), 1),
        fix(t, b, s.second(d), 2),
        fix(t, a, s.second(d), 2),
        fix(t, b, s.first(d), 1),
      ]);

      expect(result).toEqual({ inserted: 3 });
      expect((await stored(a)).map((r) => [r.ts, r.lon])).toEqual([
        [`${d}T09:00:00.000000Z`, 0],
        [expectedTs, 1],
      ]);
      expect((await stored(b)).map((r) => [r.ts, r.lon])).toEqual([[expectedTs, 2]]);
      // asset_latest takes the newest instant; of the tied fixes, the same one positions kept.
      expect(await latest(a)).toMatchObject({ ts: expectedTs, lon: 1 });
      expect(await latest(b)).toMatchObject({ ts: expectedTs, lon: 2 });
    });

    it('keeps the first of each tied pair for 200 assets in one batch (a sort would pick either)', async () => {
      const t = tenant('many-ties');
      const d = day(1);
      const ids = Array.from({ length: 200 }, () => randomUUID());
      const spell = (i: number, first: boolean): string =>
        (i % 2 === 0) === first ? `${d}T15:00:00.500Z` : `${d}T16:00:00.5+01:00`;

      const result = await writer.write(
        ids.flatMap((id, i) => [fix(t, id, spell(i, true), 1), fix(t, id, spell(i, false), 2)]),
      );

      expect(result).toEqual({ inserted: 200 });
      const kept = await pool.query<{ table: string; lon: number; n: number }>(
        `SELECT 'positions' AS table, ST_X(geom) AS lon, count(*)::int AS n FROM read.positions
         WHERE asset_id = ANY($1::uuid[]) GROUP BY 2
         UNION ALL
         SELECT 'asset_latest', ST_X(geom), count(*)::int FROM read.asset_latest WHERE asset_id = ANY($1::uuid[])
         GROUP BY 2 ORDER BY 1, 2`,
        [ids],
      );
      expect(kept.rows).toEqual([
        { table: 'asset_latest', lon: 1, n: 200 },
        { table: 'positions', lon: 1, n: 200 },
      ]);
    });

    it('keeps fixes a microsecond apart as two rows', async () => {
      const t = tenant('micro');
      const id = randomUUID();
      const d = day(1);

      expect(await writer.write([fix(t, id, `${d}T12:00:00Z`, 1), fix(t, id, `${d}T12:00:00.000001Z`, 2)])).toEqual({
        inserted: 2,
      });

      expect((await stored(id)).map((r) => [r.ts, r.lon])).toEqual([
        [`${d}T12:00:00.000000Z`, 1],
        [`${d}T12:00:00.000001Z`, 2],
      ]);
      expect(await latest(id)).toMatchObject({ ts: `${d}T12:00:00.000001Z`, lon: 2 });
    });

    it('changes nothing when a later batch repeats the instant in another spelling', async () => {
      const t = tenant('later');
      const id = randomUUID();
      const d = day(1);
      await writer.write([fix(t, id, `${d}T13:00:00Z`, 1)]);
      const before = await latest(id);

      expect(await writer.write([fix(t, id, `${d}T14:00:00.000+01:00`, 2)])).toEqual({ inserted: 0 });

      expect((await stored(id)).map((r) => r.lon)).toEqual([1]);
      expect(await latest(id)).toEqual(before);
    });
  });

  describe('day partitions', () => {
    it('puts the last microsecond of a UTC day and the first of the next into their own days', async () => {
      const t = tenant('days');
      const id = randomUUID();
      const [d2, d3, d4] = [day(2), day(3), day(4)];

      const result = await writer.write([
        fix(t, id, `${d2}T23:59:59.999999Z`, 1),
        fix(t, id, `${d3}T00:00:00Z`, 2),
        // 00:30 at UTC+1 is 23:30 UTC the day before; 23:30 at UTC-2 is 01:30 UTC the day after.
        fix(t, id, `${d3}T00:30:00+01:00`, 3),
        fix(t, id, `${d3}T23:30:00-02:00`, 4),
        fix(t, id, `${d3}T23:59:59.999999Z`, 5),
      ]);

      expect(result).toEqual({ inserted: 5 });
      const part = (offset: number): string => `read.${partitionName(base + offset)}`;
      expect((await stored(id)).map((r) => [r.ts, r.lon, r.part])).toEqual([
        [`${d2}T23:30:00.000000Z`, 3, part(2)],
        [`${d2}T23:59:59.999999Z`, 1, part(2)],
        [`${d3}T00:00:00.000000Z`, 2, part(3)],
        [`${d3}T23:59:59.999999Z`, 5, part(3)],
        [`${d4}T01:30:00.000000Z`, 4, part(4)],
      ]);
      const bound = await pool.query<{ bound: string }>(
        `SELECT pg_get_expr(relpartbound, oid) AS bound FROM pg_class WHERE oid = $1::regclass`,
        [part(3)],
      );
      expect(bound.rows[0].bound).toBe(`FOR VALUES FROM ('${d3} 00:00:00+00') TO ('${d4} 00:00:00+00')`);
    });

    it('stores a fix for a day that has no partition, creating the partition', async () => {
      const t = tenant('on-demand');
      const id = randomUUID();
      const d = day(6);
      expect(await partitionExists(base + 6)).toBe(false);

      expect(await writer.write([fix(t, id, `${d}T06:30:00Z`, 13.4, 52.5)])).toEqual({ inserted: 1 });

      expect(await partitionExists(base + 6)).toBe(true);
      expect(await stored(id)).toEqual([
        { tenant_id: t, ts: `${d}T06:30:00.000000Z`, lon: 13.4, lat: 52.5, part: `read.${partitionName(base + 6)}` },
      ]);
      // Another replica, whose cache has not seen the partition, finds it and stores the redelivery once.
      expect(await new PositionsWriter(pool).write([fix(t, id, `${d}T06:30:00Z`, 13.4, 52.5)])).toEqual({
        inserted: 0,
      });
    });
  });

  describe('fresh fixes by COPY, late ones by INSERT … ON CONFLICT', () => {
    it('copies fixes newer than the newest, inserts late ones, skips repeats, moves asset_latest', async () => {
      const t = tenant('copy');
      const id = randomUUID();
      await register(id, t);
      const d = day(1);
      expect(await writer.write([fix(t, id, `${d}T10:00:00Z`, 1), fix(t, id, `${d}T10:00:10Z`, 2)])).toEqual({
        inserted: 2,
      });
      // A late fix, a repeat and a fresh one in one batch.
      const mixed = [fix(t, id, `${d}T09:59:00Z`, 0), fix(t, id, `${d}T10:00:10Z`, 9), fix(t, id, `${d}T10:00:20Z`, 3)];
      expect(await writer.write(mixed)).toEqual({ inserted: 2 });
      expect((await stored(id)).map((r) => [r.ts.slice(11, 19), r.lon])).toEqual([
        ['09:59:00', 0],
        ['10:00:00', 1],
        ['10:00:10', 2],
        ['10:00:20', 3],
      ]);
      expect(await latest(id)).toMatchObject({ ts: `${d}T10:00:20.000000Z`, lon: 3 });
      const previous = await pool.query(
        `SELECT ${utc('previous_ts')} AS p FROM read.asset_latest WHERE asset_id = $1`,
        [id],
      );
      expect(previous.rows[0].p).toBe(`${d}T10:00:10.000000Z`);
    });

    it('falls back to INSERT … ON CONFLICT when a fix newer than asset_latest is stored already', async () => {
      const t = tenant('fallback');
      const id = randomUUID();
      await register(id, t);
      const d = day(1);
      // Stored behind the writer's back: asset_latest does not know it.
      await pool.query(
        `INSERT INTO read.positions (tenant_id, asset_id, ts, geom)
         VALUES ($1, $2, $3, ST_SetSRID(ST_MakePoint(5, 45), 4326))`,
        [t, id, `${d}T11:00:00Z`],
      );
      const batch = [fix(t, id, `${d}T11:00:00Z`, 6), fix(t, id, `${d}T11:00:05Z`, 7)];
      expect(await writer.write(batch)).toEqual({ inserted: 1 });
      expect((await stored(id)).map((r) => r.lon)).toEqual([5, 7]);
      expect(await latest(id)).toMatchObject({ ts: `${d}T11:00:05.000000Z`, lon: 7 });
    });
  });
});
