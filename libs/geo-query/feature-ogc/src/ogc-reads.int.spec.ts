import { randomBytes, randomUUID } from 'node:crypto';
import { Pool, type QueryResult } from 'pg';
import type { DataSource } from 'typeorm';
import { afterAll, beforeAll, describe, expect, it, jest } from '@jest/globals';
import { requirePrincipal } from '@meridian/contracts/identity';
import type { OgcBbox, OgcCollectionId, OgcDatetime, OgcItemsPage } from '@meridian/contracts/ogc';
import { readScope } from '@meridian/read-model/assets';
import { createReadModelDataSource, migrateReadModel, poolOf } from '@meridian/read-model/data-source';
import { dayOf, PositionPartitions } from '@meridian/read-model/positions';
import { describePlanNode, explainPlan, testDatabaseUrl } from '@meridian/shared/testing';
import { testPrincipal } from '@meridian/shared/testing';
import { OgcReads, withinBudget } from './ogc-reads';
import { collectionSql } from './sql/collections';
import type { ItemsFilter } from './sql/ogc-sql';

/*
 * The OGC collections' SQL on realistic data (thousands of rows, another tenant beside): paging
 * both ways, numberMatched and its cap, every datetime form, bbox across the antimeridian, pages of
 * big zones cut at the byte budget without reading past it, single features, extents, and EXPLAIN of
 * every statement for index use.
 */

const run = randomBytes(3).toString('hex');
const prefix = `og${run}-`;
const fleet = `${prefix}fleet`;
const other = `${prefix}other`;
const big = `${prefix}big`;
const BIG_ZONES = 12;
const DAY0 = Date.parse('2025-06-01T00:00:00Z');
const HOUR = 3_600_000;
const ASSETS = 120;
const FIXES_PER_ASSET = 72; // one per hour for three days: 8,640 fixes per tenant
const at = (h: number) => new Date(DAY0 + h * HOUR).toISOString();

/** An unrestricted administrator of the tenant (restricted principals: ogc-row-filter.int.spec.ts). */
const as = (tenantId: string, overrides: Parameters<typeof testPrincipal>[1] = {}) =>
  readScope(requirePrincipal({ tenantId, principal: testPrincipal(tenantId, overrides) }));
/** Principals whose row filter adds conditions; the region is the south-west half of the fleet's area. */
const principals = {
  'an unrestricted': {},
  'a region-restricted': {
    roles: ['viewer' as const],
    region: {
      type: 'Polygon' as const,
      coordinates: [
        [
          [8, 47],
          [9.2, 47],
          [8, 48],
          [8, 47],
        ] as [number, number][],
      ],
    },
  },
  'a clearance- and team-restricted': { roles: ['viewer' as const], clearance: 1, teams: ['red'] },
};

interface Fix {
  readonly asset: string;
  readonly h: number;
  readonly lon: number;
  readonly lat: number;
}

describe('OGC collections over the read model (real PostGIS)', () => {
  let dataSource: DataSource;
  let pool: Pool;
  let reads: OgcReads;
  const assets: string[] = Array.from({ length: ASSETS }, () => randomUUID()).sort();
  const fixes: Fix[] = [];
  const zones: { id: string; from: string | null; to: string | null }[] = [];

  async function insertFixes(tenantId: string, rows: readonly Fix[]): Promise<void> {
    // In time order, as ingest writes them (BRIN on ts relies on it).
    const sorted = [...rows].sort((a, b) => a.h - b.h);
    await pool.query(
      `INSERT INTO read.positions (tenant_id, asset_id, ts, geom, speed)
       SELECT $1, a, t, ST_SetSRID(ST_MakePoint(x, y), 4326), 12
       FROM unnest($2::uuid[], $3::timestamptz[], $4::float8[], $5::float8[]) AS r(a, t, x, y)`,
      [
        tenantId,
        sorted.map((f) => f.asset),
        sorted.map((f) => at(f.h)),
        sorted.map((f) => f.lon),
        sorted.map((f) => f.lat),
      ],
    );
  }

  const page = (c: OgcCollectionId, filter: ItemsFilter, limit: number, after?: string, dir?: 'next' | 'prev') =>
    reads.items(as(fleet), c, filter, limit, after, dir);

  async function all(c: OgcCollectionId, filter: ItemsFilter, limit: number): Promise<OgcItemsPage[]> {
    const pages: OgcItemsPage[] = [];
    let after: string | undefined;
    for (;;) {
      const p = await page(c, filter, limit, after);
      pages.push(p);
      if (p.after === null) return pages;
      if (pages.length > 1000) throw new Error('paging does not end');
      after = p.after;
    }
  }

  beforeAll(async () => {
    dataSource = await createReadModelDataSource({ url: testDatabaseUrl(), poolSize: 4 }).initialize();
    await migrateReadModel(dataSource);
    pool = poolOf(dataSource);
    reads = new OgcReads(pool);
    await new PositionPartitions(pool).ensure([dayOf(DAY0), dayOf(DAY0) + 1, dayOf(DAY0) + 2]);

    for (const [i, asset] of assets.entries()) {
      for (let h = 0; h < FIXES_PER_ASSET; h++) {
        fixes.push({ asset, h, lon: 8 + (i % 12) * 0.1 + h * 0.001, lat: 47 + Math.floor(i / 12) * 0.1 });
      }
    }
    // Two assets sit on either side of the antimeridian for their last fix.
    fixes.push({ asset: assets[0], h: 71.5, lon: 179.5, lat: 66 }, { asset: assets[1], h: 71.5, lon: -179.5, lat: 66 });
    await insertFixes(fleet, fixes);
    // Another tenant's busier fleet: 150,000 fixes over the same days.
    const theirs = Array.from({ length: 500 }, () => randomUUID());
    await insertFixes(
      other,
      Array.from({ length: 150_000 }, (_, k) => ({
        asset: theirs[k % 500],
        h: (k / 150_000) * 72,
        lon: 8.5,
        lat: 47.5,
      })),
    );

    // asset_latest: the last fix of each asset; one more asset never reported (geometry null).
    const last = new Map(fixes.map((f) => [f.asset, f]));
    await pool.query(
      `INSERT INTO read.asset_latest (asset_id, tenant_id, name, kind, status, version, geom, ts)
       SELECT a, $1, 'asset ' || a, 'drone', 'available', 1, ST_SetSRID(ST_MakePoint(x, y), 4326), t
       FROM unnest($2::uuid[], $3::float8[], $4::float8[], $5::timestamptz[]) AS r(a, x, y, t)`,
      [
        fleet,
        [...last.keys()],
        [...last.values()].map((f) => f.lon),
        [...last.values()].map((f) => f.lat),
        [...last.values()].map((f) => at(f.h)),
      ],
    );
    await pool.query(
      `INSERT INTO read.asset_latest (asset_id, tenant_id, name, kind, status, version)
       VALUES ($1, $2, 'never reported', 'crew', 'registered', 1)`,
      [randomUUID(), fleet],
    );
    await pool.query(
      `INSERT INTO read.asset_latest (asset_id, tenant_id, name, kind, status, version, geom, ts)
       SELECT gen_random_uuid(), $1, 'theirs', 'drone', 'available', 1, ST_SetSRID(ST_MakePoint(8.5, 47.5), 4326), $2
       FROM generate_series(1, 30000)`,
      [other, at(10)],
    );

    // 1,500 zones: validity windows of every shape; 100 archived ones never show.
    for (let i = 0; i < 1500; i++) {
      const from = i % 3 === 0 ? null : at(i % 48);
      const to = i % 4 === 0 ? null : at((i % 48) + 12);
      zones.push({ id: randomUUID(), from, to });
    }
    await pool.query(
      `INSERT INTO read.zones (zone_id, tenant_id, name, kind, geom, valid_from, valid_to, sensitivity, version,
         created_at, updated_at, archived_at)
       SELECT z, $1, 'zone', 'geofence', ST_MakeEnvelope(x, 47, x + 0.05, 47.05, 4326), f, t, 0, 1, now(), now(),
         CASE WHEN n > 1500 THEN now() END
       FROM unnest($2::uuid[], $3::timestamptz[], $4::timestamptz[], $5::float8[]) WITH ORDINALITY AS r(z, f, t, x, n)`,
      [
        fleet,
        [...zones.map((z) => z.id), ...Array.from({ length: 100 }, () => randomUUID())],
        [...zones.map((z) => z.from), ...Array.from({ length: 100 }, () => null)],
        [...zones.map((z) => z.to), ...Array.from({ length: 100 }, () => null)],
        Array.from({ length: 1600 }, (_, i) => 8 + (i % 100) * 0.1),
      ],
    );
    await pool.query(
      `INSERT INTO read.zones (zone_id, tenant_id, name, kind, geom, sensitivity, version, created_at, updated_at)
       SELECT gen_random_uuid(), $1, 'theirs', 'geofence', ST_MakeEnvelope(8, 47, 9, 48, 4326), 0, 1, now(), now()
       FROM generate_series(1, 30000)`,
      [other],
    );
    // A handful of big zones (2,001-vertex circles, ~50 KB of GeoJSON each) of a third tenant.
    await pool.query(
      `INSERT INTO read.zones (zone_id, tenant_id, name, kind, geom, sensitivity, version, created_at, updated_at)
       SELECT gen_random_uuid(), $1, 'big ' || i, 'geofence',
         ST_Buffer(ST_SetSRID(ST_MakePoint(8 + i * 0.1, 47), 4326), 0.0371, 500), 0, 1, now(), now()
       FROM generate_series(1, $2::int) i`,
      [big, BIG_ZONES],
    );
    await pool.query('ANALYZE read.positions');
    // VACUUM too: the shared test database's asset_latest holds other suites' dead rows.
    await pool.query('VACUUM ANALYZE read.asset_latest');
    await pool.query('ANALYZE read.zones');
  }, 120_000);

  afterAll(async () => {
    await pool?.query(`DELETE FROM read.positions WHERE tenant_id LIKE $1`, [`${prefix}%`]);
    await pool?.query(`DELETE FROM read.asset_latest WHERE tenant_id LIKE $1`, [`${prefix}%`]);
    await pool?.query(`DELETE FROM read.zones WHERE tenant_id LIKE $1`, [`${prefix}%`]);
    await dataSource?.destroy();
  });

  const count = (pred: (f: Fix) => boolean) => fixes.filter(pred).length;

  it('pages every position in a window once, in (asset, time) order, numberMatched exact on each page', async () => {
    const window: OgcDatetime = { start: at(24), end: at(47) };
    const pages = await all('positions', { datetime: window }, 500);
    const ids = pages.flatMap((p) => p.items.map((f) => f.id));
    const expected = fixes
      .filter((f) => f.h >= 24 && f.h <= 47)
      .sort((a, b) => (a.asset === b.asset ? a.h - b.h : a.asset < b.asset ? -1 : 1))
      .map((f) => `${f.asset}~${(DAY0 + f.h * HOUR) * 1000}`);
    expect(ids).toEqual(expected);
    expect(pages.map((p) => p.numberMatched)).toEqual(pages.map(() => expected.length));
    expect(expected).toHaveLength(ASSETS * 24);
  });

  it('states numberMatched up to the count cap and leaves it out above, paging on either way', async () => {
    const filter = { datetime: { start: at(24), end: at(47) } };
    const matches = ASSETS * 24;
    const atCap = await new OgcReads(pool, { countCap: matches }).items(as(fleet), 'positions', filter, 100);
    const overCap = await new OgcReads(pool, { countCap: matches - 1 }).items(as(fleet), 'positions', filter, 100);
    expect([atCap.numberMatched, overCap.numberMatched]).toEqual([matches, null]);
    expect(overCap.items.map((f) => f.id)).toEqual(atCap.items.map((f) => f.id));
    expect(overCap.after).toBe(atCap.after);
    expect(overCap.items).toHaveLength(100);
  });

  it('cuts a page of big zones at the byte budget, reading only about one budget of rows', async () => {
    const budget = 120_000;
    const counting = new Pool({ connectionString: testDatabaseUrl(), max: 2 });
    // Every zone row PostgreSQL sends, through the pool (one statement) or a client (a cursor).
    const queries: jest.SpiedFunction<typeof pool.query>[] = [jest.spyOn(counting, 'query')];
    counting.on('connect', (client) => void queries.push(jest.spyOn(client, 'query')));
    const fetchedRows = async (): Promise<number> => {
      let n = 0;
      for (const spy of queries) {
        for (const result of spy.mock.results) {
          const value = result.value as unknown;
          if (value instanceof Promise) {
            const { rows } = (await value) as QueryResult<Record<string, unknown>>;
            n += rows.filter((r) => 'geometry' in r).length;
          }
        }
        spy.mockClear();
      }
      return n;
    };
    try {
      const budgeted = new OgcReads(counting, { replyBudgetBytes: budget });
      const pages: OgcItemsPage[] = [];
      const rows: number[] = [];
      let after: string | undefined;
      do {
        const p = await budgeted.items(as(big), 'zones', {}, 10_000, after);
        pages.push(p);
        rows.push(await fetchedRows());
        after = p.after ?? undefined;
      } while (after !== undefined && pages.length < 50);
      const sizes = pages.map((p) => p.items.map((f) => Buffer.byteLength(JSON.stringify(f)) + 1));
      const ids = pages.flatMap((p) => p.items.map((f) => f.id));
      const stored = await pool.query<{ id: string }>(
        `SELECT zone_id::text AS id FROM read.zones WHERE tenant_id = $1 ORDER BY zone_id`,
        [big],
      );
      // Every zone once, in order; pages of two (a third would pass the budget), each with a next
      // key but the last; numberMatched still counts them all.
      expect(ids).toEqual(stored.rows.map((r) => r.id));
      expect(sizes.every((s) => s.reduce((a, b) => a + b, 0) <= budget)).toBe(true);
      expect(pages.map((p) => p.items.length)).toEqual(Array.from({ length: BIG_ZONES / 2 }, () => 2));
      expect(pages.map((p) => p.after === null)).toEqual(pages.map((_, i) => i === pages.length - 1));
      expect(pages.every((p) => p.numberMatched === BIG_ZONES)).toBe(true);
      // Read with a cursor that stops past the budget: at most one FETCH beyond what the page keeps
      // (four rows, then one), never the 10,001 rows a limit of 10,000 asks for.
      expect(rows.every((n, i) => n <= pages[i].items.length + 4)).toBe(true);
      expect(rows[0]).toBeLessThan(BIG_ZONES);
      // The page before the last one's key is the page before it, cut from the key's side.
      const last = pages[pages.length - 1];
      const back = await budgeted.items(as(big), 'zones', {}, 10_000, last.before ?? undefined, 'prev');
      expect(back.items.map((f) => f.id)).toEqual(pages[pages.length - 2].items.map((f) => f.id));
      expect(withinBudget(back.items, budget)).toHaveLength(2);
    } finally {
      await counting.end();
    }
  });

  it.each([
    ['an instant (exactly one fix per asset)', { start: at(30), end: at(30) }, (f: Fix) => f.h === 30],
    ['a closed interval, both ends inclusive', { start: at(10), end: at(20) }, (f: Fix) => f.h >= 10 && f.h <= 20],
    ['open start ../b', { start: null, end: at(5) }, (f: Fix) => f.h <= 5],
    ['open end a/..', { start: at(70), end: null }, (f: Fix) => f.h >= 70],
  ])('filters positions by %s', async (_, datetime, pred) => {
    const p = await page('positions', { datetime }, 10);
    expect(p.numberMatched).toBe(count(pred));
    expect(p.numberMatched).toBeGreaterThan(0);
    const hourOf = (ts: unknown) => (Date.parse(String(ts)) - DAY0) / HOUR;
    expect(p.items.every((f) => pred({ asset: '', lon: 0, lat: 0, h: hourOf(f.properties.ts) }))).toBe(true);
  });

  it('finds fixes on both sides of the antimeridian with a split bbox, and nothing of another tenant', async () => {
    const bbox: OgcBbox = [
      [177, 65, 180, 70],
      [-180, 65, -177, 70],
    ];
    const p = await page('positions', { bbox, datetime: { start: at(0), end: null } }, 10);
    expect(p.items.map((f) => f.geometry)).toEqual([
      { type: 'Point', coordinates: [179.5, 66] },
      { type: 'Point', coordinates: [-179.5, 66] },
    ]);
    expect(p.numberMatched).toBe(2);
  });

  it('pages back with prev: the page before page 3 is page 2, with links both ways', async () => {
    const filter = { datetime: { start: at(0), end: at(71) } };
    const one = await page('positions', filter, 100);
    const two = await page('positions', filter, 100, one.after ?? undefined);
    const three = await page('positions', filter, 100, two.after ?? undefined);
    expect(one.before).toBeNull();
    const back = await page('positions', filter, 100, three.before ?? undefined, 'prev');
    expect(back.items.map((f) => f.id)).toEqual(two.items.map((f) => f.id));
    expect(back.after).toBe(two.after);
    const first = await page('positions', filter, 100, back.before ?? undefined, 'prev');
    expect(first.items.map((f) => f.id)).toEqual(one.items.map((f) => f.id));
    expect(first.before).toBeNull();
  });

  it('reads one position by its id, and not by a malformed id or as another tenant', async () => {
    const f = fixes[500];
    const id = `${f.asset}~${(DAY0 + f.h * HOUR) * 1000}`;
    const feature = await reads.feature(as(fleet), 'positions', id);
    expect(feature).toMatchObject({ id, geometry: { type: 'Point', coordinates: [f.lon, f.lat] } });
    expect(await reads.feature(as(other), 'positions', id)).toBeNull();
    expect(await reads.feature(as(fleet), 'positions', `${f.asset}~1`)).toBeNull();
    expect(await reads.feature(as(fleet), 'positions', 'nonsense')).toBeNull();
  });

  it('lists assets with a null geometry before their first fix, and filters them out by bbox or datetime', async () => {
    const every = await all('assets', {}, 50);
    const features = every.flatMap((p) => p.items);
    expect(features).toHaveLength(ASSETS + 1);
    expect(features.filter((f) => f.geometry === null).map((f) => f.properties.name)).toEqual(['never reported']);
    const boxed = await page('assets', { bbox: [[7.9, 46.9, 9.3, 48.0]] }, 1000);
    expect(boxed.numberMatched).toBe(ASSETS - 2);
    const lastSeen = await page('assets', { datetime: { start: at(71.5), end: null } }, 1000);
    expect(lastSeen.items.map((f) => f.id).sort()).toEqual([assets[0], assets[1]].sort());
  });

  it('filters zones by validity overlap: an instant inside [from, to), an interval overlapping it', async () => {
    const inside = (from: string | null, to: string | null, a: number, b: number) =>
      (from === null || Date.parse(from) <= b) && (to === null || Date.parse(to) > a);
    const t = DAY0 + 20 * HOUR;
    const instant = await page('zones', { datetime: { start: at(20), end: at(20) } }, 10);
    expect(instant.numberMatched).toBe(zones.filter((z) => inside(z.from, z.to, t, t)).length);
    const a = DAY0 + 50 * HOUR;
    const open = await page('zones', { datetime: { start: at(50), end: null } }, 10);
    expect(open.numberMatched).toBe(zones.filter((z) => inside(z.from, z.to, a, Infinity)).length);
    const all1500 = await page('zones', {}, 10);
    expect(all1500.numberMatched).toBe(1500);
  });

  it('states extents: assets and zones from their rows, positions up to the newest fix', async () => {
    const { collections } = await reads.extents(as(fleet));
    const byId = Object.fromEntries(collections.map((c) => [c.id, c]));
    expect(byId.assets.bbox).toEqual([-179.5, 47, 179.5, expect.any(Number)]);
    expect(byId.assets.interval).toEqual([at(71), at(71.5)]);
    expect(byId.zones.interval).toEqual([null, null]);
    expect(byId.positions.bbox).toEqual([-180, -90, 180, 90]);
    expect(byId.positions.interval?.[1]).toBe(at(71.5));
    const none = await reads.extents(as(`${prefix}empty`));
    expect(none.collections.map((c) => [c.id, c.bbox, c.interval])).toEqual([
      ['assets', null, null],
      ['zones', null, null],
      ['positions', null, null],
    ]);
  });

  const plans: [string, OgcCollectionId, ItemsFilter, RegExp][] = [
    ['positions in a window', 'positions', { datetime: { start: at(30), end: at(32) } }, /positions_/],
    [
      'positions in a window and a bbox',
      'positions',
      // Bounded to this file's days: in the shared test database other suites' later partitions hold
      // a handful of rows, which PostgreSQL rightly reads with a Seq Scan.
      { datetime: { start: at(0), end: at(71.5) }, bbox: [[8.0, 47.0, 8.2, 47.1]] },
      /positions_/,
    ],
    ['assets of the tenant', 'assets', {}, /asset_latest_/],
    ['assets in a bbox', 'assets', { bbox: [[8.0, 47.0, 8.2, 47.1]] }, /asset_latest_/],
    ['zones of the tenant', 'zones', {}, /zones_live_/],
    ['zones in a bbox', 'zones', { bbox: [[8.0, 47.0, 8.2, 47.1]] }, /zones_live_/],
  ];

  const planCases = plans.flatMap(([name, c, filter, index]) =>
    Object.entries(principals).map(([who, overrides]) => ({ name, who, c, filter, index, overrides })),
  );

  it.each(planCases)('reads $name for $who principal from an index: page and count (EXPLAIN)', async (p) => {
    const { c, filter, index } = p;
    const sql = collectionSql[c];
    const key = c === 'positions' ? `${assets[40]}~${DAY0 * 1000}` : assets[40];
    const scope = as(fleet, p.overrides);
    for (const statement of [
      sql.page(scope, filter, 10),
      sql.page(scope, filter, 10, key),
      sql.count(scope, filter, 100_000),
    ]) {
      const plan = (await explainPlan(pool, statement)).map(describePlanNode);
      expect({ plan, indexed: plan.some((p) => index.test(p) && / using /.test(p)) }).toEqual({ plan, indexed: true });
      expect(plan.filter((p) => p.startsWith('Seq Scan'))).toEqual([]);
    }
  });

  it('reads a single feature of each collection from an index', async () => {
    const cases: [OgcCollectionId, string, RegExp][] = [
      ['assets', assets[3], /asset_latest_/],
      ['zones', zones[3].id, /zones_/],
      ['positions', `${assets[3]}~${(DAY0 + 5 * HOUR) * 1000}`, /positions_\d+_asset_id_ts_idx|positions_asset_ts/],
    ];
    for (const [c, id, index] of cases) {
      const statement = collectionSql[c].feature(as(fleet), id);
      if (!statement) throw new Error(`no statement for ${c}`);
      const plan = (await explainPlan(pool, statement)).map(describePlanNode);
      expect({ plan, ok: plan.some((p) => index.test(p)) }).toEqual({ plan, ok: true });
    }
  });
});
