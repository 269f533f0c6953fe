import { randomBytes, randomUUID } from 'node:crypto';
import { cellToLatLng, cellToParent, latLngToCell } from 'h3-js';
import type { Pool } from 'pg';
import type { DataSource } from 'typeorm';
import { afterAll, beforeAll, describe, expect, it, jest } from '@jest/globals';
import { AssetPage, Heatmap, NearestFeature, TrackFeature } from '@meridian/contracts/assets';
import type { Bbox } from '@meridian/contracts/core';
import { requirePrincipal } from '@meridian/contracts/identity';
import { AssetQueries, readScope } from '@meridian/read-model/assets';
import { compactCells, type PositionRow, PositionQueries, PositionsWriter } from '@meridian/read-model/positions';
import {
  createTestPool,
  describePlanNode,
  explainPlan,
  type PlanNode,
  sentQuery,
  testDatabaseUrl,
  seededRandom,
} from '@meridian/shared/testing';
import { testPrincipal } from '@meridian/shared/testing';
import { createReadModelDataSource, migrateReadModel, poolOf } from './data-source';

/*
 * PositionQueries (where at T, tracks, heatmaps) and AssetQueries.nearest on fixes stored through
 * PositionsWriter (which also keeps the hourly H3 counts), with the read schema as migrateReadModel
 * makes it. Expected answers are computed here from the generated fixes, independently of the SQL.
 */

const run = randomBytes(3).toString('hex');
const tenantA = `posq-${run}-a`;
const tenantB = `posq-${run}-b`;
const RESOLUTIONS = [5, 7];
const codes = {
  trackTooManyVertices: 'TRACK.TOO_MANY_VERTICES',
  heatmapTooManyCells: 'HEATMAP.TOO_MANY_CELLS',
  heatmapTooManyFixes: 'HEATMAP.TOO_MANY_FIXES',
};
const limits = { maxTrackVertices: 5_000, maxHeatmapCells: 2_000, maxHeatmapFixes: 50_000, codes };

/** 2025-03-01 22:00Z: the fixes run to 02:00 the next day, across midnight and a day partition. */
const START = Date.UTC(2025, 2, 1, 22, 0, 0);
const STEP_MS = 60_000;
const STEPS = 240;
const GAP_FROM = Date.UTC(2025, 2, 1, 23, 30);
const GAP_TO = Date.UTC(2025, 2, 1, 23, 45);
/** Asset 0 also reports once at 03:00, alone between two gaps. */
const LONE = Date.UTC(2025, 2, 2, 3, 0);

interface Asset {
  readonly id: string;
  readonly tenantId: string;
  readonly kind: 'vehicle' | 'drone';
  readonly status: 'available' | 'assigned';
}

/** Vehicle-like tracks: a smooth heading, ~10 m/s, one fix a minute; even assets pause 23:30–23:45. */
function generate(assets: readonly Asset[], seed: number): PositionRow[] {
  const random = seededRandom(seed);
  const rows: PositionRow[] = [];
  assets.forEach((asset, i) => {
    let lon = 8 + (i % 20) * 0.05;
    let lat = 47 + Math.floor(i / 20) * 0.03;
    let heading = random() * 2 * Math.PI;
    for (let s = 0; s < STEPS; s++) {
      const t = START + s * STEP_MS;
      heading += (random() - 0.5) * 0.4;
      lon += (Math.cos(heading) * 600) / (111_320 * Math.cos((lat * Math.PI) / 180));
      lat += (Math.sin(heading) * 600) / 110_540;
      if (i % 2 === 0 && t >= GAP_FROM && t < GAP_TO) continue;
      rows.push({ tenantId: asset.tenantId, assetId: asset.id, ts: new Date(t).toISOString(), lon, lat, speed: 10 });
    }
    if (i === 0 && asset.tenantId === tenantA) {
      rows.push({ tenantId: asset.tenantId, assetId: asset.id, ts: new Date(LONE).toISOString(), lon, lat });
    }
  });
  return rows;
}

const makeAssets = (tenantId: string, n: number): Asset[] =>
  Array.from({ length: n }, (_, i) => ({
    id: randomUUID(),
    tenantId,
    kind: i % 3 === 0 ? 'drone' : 'vehicle',
    status: i % 4 === 0 ? 'assigned' : 'available',
  }));

const inBbox = (lon: number, lat: number, [minLon, minLat, maxLon, maxLat]: Bbox): boolean =>
  lon >= minLon && lon <= maxLon && lat >= minLat && lat <= maxLat;

const INDEX_NODES = ['Index Scan', 'Index Only Scan', 'Bitmap Index Scan'];

/** An unrestricted administrator of the tenant (restricted principals: geo-query's row-filter tests). */
const as = (tenantId: string, overrides: Parameters<typeof testPrincipal>[1] = {}) =>
  readScope(requirePrincipal({ tenantId, principal: testPrincipal(tenantId, overrides) }));
/** Restricted principals: the row filter is one more condition on the rows the same indexes find. */
const restricted = {
  region: {
    roles: ['viewer' as const],
    region: {
      type: 'Polygon' as const,
      coordinates: [
        [
          [8, 46.9],
          [9.2, 46.9],
          [8, 47.6],
          [8, 46.9],
        ] as [number, number][],
      ],
    },
  },
  'clearance and teams': { roles: ['viewer' as const], clearance: 1, teams: ['red', 'blue'] },
};

describe('PositionQueries and nearest on stored fixes (real PostGIS)', () => {
  let dataSource: DataSource;
  let pool: Pool;
  let queriesPool: Pool;
  let sent: jest.Spied<(text: string, values?: unknown[]) => Promise<unknown>>;
  let positions: PositionQueries;
  let assetQueries: AssetQueries;
  const assetsA = makeAssets(tenantA, 300);
  const assetsB = makeAssets(tenantB, 60);
  const fixesA = generate(assetsA, 1);
  const fixesB = generate(assetsB, 2);
  const fixesOf = (assetId: string): PositionRow[] =>
    fixesA.filter((f) => f.assetId === assetId).sort((a, b) => Date.parse(a.ts) - Date.parse(b.ts));

  /**
   * The plan of the statements a call sent: every one must start from an index on `relation` and
   * never scan a table whole (`relation`'s, or those `noSeqScan` names).
   */
  async function expectIndexPlans(
    call: () => Promise<unknown>,
    relation: RegExp,
    noSeqScan: RegExp = relation,
  ): Promise<void> {
    sent.mockClear();
    await call();
    for (const c of sent.mock.calls) {
      const nodes: PlanNode[] = await explainPlan(pool, sentQuery(c));
      const plan = nodes.map(describePlanNode).join(' → ');
      const indexed = nodes.some(
        (n) => INDEX_NODES.includes(n['Node Type']) && relation.test(n['Relation Name'] ?? n['Index Name'] ?? ''),
      );
      const seqScans = nodes.filter((n) => n['Node Type'] === 'Seq Scan' && noSeqScan.test(n['Relation Name'] ?? ''));
      expect({ plan, indexed, seqScans: seqScans.map(describePlanNode) }).toEqual({
        plan,
        indexed: true,
        seqScans: [],
      });
    }
  }

  beforeAll(async () => {
    dataSource = await createReadModelDataSource({ url: testDatabaseUrl(), poolSize: 4 }).initialize();
    await migrateReadModel(dataSource);
    pool = poolOf(dataSource);
    await pool.query(`DELETE FROM read.asset_latest WHERE tenant_id LIKE 'posq-%'`);
    await pool.query(`DELETE FROM read.positions WHERE tenant_id LIKE 'posq-%'`);
    await pool.query(`DELETE FROM read.position_cells WHERE tenant_id LIKE 'posq-%'`);
    // The compaction test merges the hours of 2025-03-01/02 from scratch.
    await pool.query(`DELETE FROM read.position_cells_compacted WHERE hour >= '2025-03-01' AND hour < '2025-03-03'`);
    const all = [...assetsA, ...assetsB];
    await pool.query(
      `INSERT INTO read.asset_latest (asset_id, tenant_id, name, kind, status, version)
       SELECT a, t, 'asset ' || a, k, s, 1
       FROM unnest($1::uuid[], $2::text[], $3::text[], $4::text[]) AS f(a, t, k, s)`,
      [all.map((a) => a.id), all.map((a) => a.tenantId), all.map((a) => a.kind), all.map((a) => a.status)],
    );
    // Other tenants' assets, so the planner sees asset_latest at a realistic size.
    await pool.query(
      `INSERT INTO read.asset_latest (asset_id, tenant_id, name, kind, status, version, geom, ts)
       SELECT gen_random_uuid(), 'posq-${run}-noise' || (g % 10), 'other', 'vehicle', 'available', 1,
         ST_SetSRID(ST_MakePoint(-60 + (g % 100) * 0.1, -20 + (g / 100) * 0.01), 4326), '2025-03-01T12:00:00Z'
       FROM generate_series(1, 20000) g`,
    );
    const writer = new PositionsWriter(pool, RESOLUTIONS);
    // In time order, 2000 at a time, both tenants interleaved: as the projection receives them.
    const stream = [...fixesA, ...fixesB].sort((a, b) => Date.parse(a.ts) - Date.parse(b.ts));
    for (let i = 0; i < stream.length; i += 2000) await writer.write(stream.slice(i, i + 2000));
    // Other tenants' counts over a month, so the planner sees position_cells at a realistic size.
    await pool.query(
      `INSERT INTO read.position_cells (tenant_id, resolution, coarse, hour, cell, fixes)
       SELECT 'posq-${run}-noise' || (g % 20), 7, 590000000000000000 + (g % 500), '2025-02-15T00:00:00Z'::timestamptz
         + ((g % 720) || ' hours')::interval, 608000000000000000 + g, 1 + g % 5
       FROM generate_series(1, 300000) g`,
    );
    await pool.query('ANALYZE read.positions');
    await pool.query('VACUUM ANALYZE read.asset_latest');
    await pool.query('ANALYZE read.position_cells');
    queriesPool = createTestPool();
    positions = new PositionQueries(queriesPool, limits, RESOLUTIONS);
    assetQueries = new AssetQueries(queriesPool);
    sent = jest.spyOn(queriesPool, 'query') as unknown as typeof sent;
  }, 120_000);

  afterAll(async () => {
    sent?.mockRestore();
    await pool?.query(`DELETE FROM read.asset_latest WHERE tenant_id LIKE $1`, [`posq-${run}-%`]);
    await pool?.query(`DELETE FROM read.positions WHERE tenant_id LIKE $1`, [`posq-${run}-%`]);
    await pool?.query(`DELETE FROM read.position_cells WHERE tenant_id LIKE $1`, [`posq-${run}-%`]);
    await queriesPool?.end();
    await dataSource?.destroy();
  });

  /** Where each asset of tenant A was at `at`, computed from the generated fixes. */
  function expectedAt(at: number, maxAgeSeconds: number, bbox?: Bbox): { id: string; lon: number; lat: number }[] {
    const out: { id: string; lon: number; lat: number }[] = [];
    for (const asset of assetsA) {
      const last = fixesOf(asset.id)
        .filter((f) => Date.parse(f.ts) <= at && Date.parse(f.ts) > at - maxAgeSeconds * 1000)
        .pop();
      if (last && (!bbox || inBbox(last.lon, last.lat, bbox))) out.push({ id: asset.id, lon: last.lon, lat: last.lat });
    }
    return out.sort((a, b) => (a.id < b.id ? -1 : 1));
  }

  async function allPagesAt(at: string, maxAge: number, bbox: Bbox | undefined, limit: number): Promise<AssetPage[]> {
    const pages: AssetPage[] = [];
    let after: string | undefined;
    do {
      const page = AssetPage.parse(await positions.at(as(tenantA), at, maxAge, bbox, limit, after));
      pages.push(page);
      after = page.after ?? undefined;
    } while (after);
    return pages;
  }

  describe('at', () => {
    const cases: { name: string; at: number; maxAge: number; bbox?: Bbox }[] = [
      { name: 'mid-track, default staleness', at: START + 90 * STEP_MS + 30_000, maxAge: 600 },
      { name: 'just after midnight (fixes on both partitions)', at: Date.UTC(2025, 2, 2, 0, 3), maxAge: 600 },
      { name: 'inside a bbox', at: START + 120 * STEP_MS, maxAge: 600, bbox: [8.2, 47.05, 8.7, 47.3] },
      // Even assets pause 23:30–23:45: at 23:44 with 5 minutes, only odd ones have a fix.
      { name: 'a short staleness leaves out the paused assets', at: Date.UTC(2025, 2, 1, 23, 44), maxAge: 300 },
      // Wider than an hour: asset by asset rather than from the window's fixes.
      { name: 'a two-hour staleness', at: Date.UTC(2025, 2, 2, 2, 30), maxAge: 7200 },
      {
        name: 'a day of staleness inside a bbox',
        at: Date.UTC(2025, 2, 2, 3, 30),
        maxAge: 86_400,
        bbox: [8.2, 47.05, 8.7, 47.3],
      },
    ];

    it.each(cases)('answers the last fix at or before T of each asset: $name', async (c) => {
      const expected = expectedAt(c.at, c.maxAge, c.bbox);
      const pages = await allPagesAt(new Date(c.at).toISOString(), c.maxAge, c.bbox, 70);
      const got = pages.flatMap((p) => p.items);
      expect(got.map((f) => f.id)).toEqual(expected.map((e) => e.id));
      got.forEach((f, i) => {
        expect(f.geometry?.coordinates[0]).toBeCloseTo(expected[i].lon, 9);
        expect(f.geometry?.coordinates[1]).toBeCloseTo(expected[i].lat, 9);
      });
      expect(expected.length).toBeGreaterThan(0);
      if (c.bbox) expect(expected.length).toBeLessThan(assetsA.length);
    });

    it('answers nothing before the first fix, and never another tenant', async () => {
      expect((await positions.at(as(tenantA), new Date(START - 1).toISOString(), 600, undefined, 100)).items).toEqual(
        [],
      );
      const b = await positions.at(as(tenantB), new Date(START + 60 * STEP_MS).toISOString(), 600, undefined, 1000);
      expect(new Set(b.items.map((f) => f.id))).toEqual(new Set(assetsB.map((a) => a.id)));
    });

    it('pages by asset id without repeats or gaps', async () => {
      const at = new Date(START + 30 * STEP_MS).toISOString();
      const pages = await allPagesAt(at, 600, undefined, 40);
      expect(pages.length).toBeGreaterThan(5);
      expect(pages.flatMap((p) => p.items).length).toBe(assetsA.length);
    });

    it('plans start from an index on positions', async () => {
      await expectIndexPlans(
        () => positions.at(as(tenantA), new Date(START + 60 * STEP_MS).toISOString(), 600, undefined, 100),
        /^positions_/,
      );
      await expectIndexPlans(
        () =>
          positions.at(as(tenantA), new Date(START + 60 * STEP_MS).toISOString(), 600, [8.2, 47.05, 8.7, 47.3], 100),
        /^positions_/,
      );
      await expectIndexPlans(
        () => positions.at(as(tenantA), new Date(START + 60 * STEP_MS).toISOString(), 86_400, undefined, 100),
        /^asset_latest/,
      );
    });
  });

  describe('track', () => {
    const window = { from: new Date(START).toISOString(), to: new Date(LONE + 1).toISOString() };

    it('splits at gaps, times per vertex, across midnight and the day partition', async () => {
      const asset = assetsA[0];
      const fixes = fixesOf(asset.id);
      const track = TrackFeature.parse(await positions.track(as(tenantA), asset.id, window, 0, 300));
      expect(track.geometry?.type).toBe('MultiLineString');
      const lines = track.geometry?.type === 'MultiLineString' ? track.geometry.coordinates : [];
      const times = track.properties.times as string[][];
      // Before the pause, after it (through midnight), and the lone 03:00 fix (doubled).
      expect(lines.length).toBe(3);
      expect(times.map((t) => t.length)).toEqual(lines.map((l) => l.length));
      const before = fixes.filter((f) => Date.parse(f.ts) < GAP_FROM);
      const after = fixes.filter((f) => Date.parse(f.ts) >= GAP_TO && Date.parse(f.ts) < LONE);
      expect(times[0]).toEqual(before.map((f) => f.ts));
      expect(times[1]).toEqual(after.map((f) => f.ts));
      expect(times[1].some((t) => t.startsWith('2025-03-01'))).toBe(true);
      expect(times[1].some((t) => t.startsWith('2025-03-02'))).toBe(true);
      expect(times[2]).toEqual([new Date(LONE).toISOString(), new Date(LONE).toISOString()]);
      expect(lines[1][0][0]).toBeCloseTo(after[0].lon, 9);
      expect(track.properties.fixes).toBe(fixes.length);
    });

    it('an odd asset without pauses is one LineString', async () => {
      const track = await positions.track(as(tenantA), assetsA[1].id, window, 0, 300);
      expect(track.geometry?.type).toBe('LineString');
      expect(track.properties.times).toHaveLength(STEPS);
    });

    it('simplifies in metres and keeps the time of every kept vertex, first and last included', async () => {
      const asset = assetsA[1];
      const fixes = fixesOf(asset.id);
      const times = new Map(fixes.map((f) => [f.ts, f]));
      const coarse = await positions.track(as(tenantA), asset.id, window, 200, 300);
      const fine = await positions.track(as(tenantA), asset.id, window, 5, 300);
      const coarseTimes = coarse.properties.times as string[];
      expect(coarseTimes.length).toBeLessThan((fine.properties.times as string[]).length);
      expect(coarseTimes.length).toBeLessThan(fixes.length);
      expect(coarseTimes[0]).toBe(fixes[0].ts);
      expect(coarseTimes[coarseTimes.length - 1]).toBe(fixes[fixes.length - 1].ts);
      const coordinates = coarse.geometry?.type === 'LineString' ? coarse.geometry.coordinates : [];
      coarseTimes.forEach((t, i) => {
        const fix = times.get(t);
        expect(fix).toBeDefined();
        expect(coordinates[i][0]).toBeCloseTo(fix?.lon ?? NaN, 6);
      });
    });

    it('an empty window is a null geometry; too many vertices is refused with its code', async () => {
      const empty = await positions.track(
        as(tenantA),
        assetsA[1].id,
        { from: '2025-02-01T00:00:00Z', to: '2025-02-02T00:00:00Z' },
        0,
        300,
      );
      expect(empty.geometry).toBeNull();
      expect(empty.properties.fixes).toBe(0);
      const tight = new PositionQueries(queriesPool, { ...limits, maxTrackVertices: 100 }, RESOLUTIONS);
      await expect(tight.track(as(tenantA), assetsA[1].id, window, 0, 300)).rejects.toMatchObject({
        code: codes.trackTooManyVertices,
      });
    });

    it("never reads another tenant's fixes of the same asset id", async () => {
      const track = await positions.track(as(tenantB), assetsA[1].id, window, 0, 300);
      expect(track.geometry).toBeNull();
    });

    it('plans read by (asset_id, ts)', async () => {
      await expectIndexPlans(() => positions.track(as(tenantA), assetsA[1].id, window, 10, 300), /^positions_/);
    });
  });

  describe('nearest', () => {
    /** Distances in metres of tenant A's latest positions from a point, by PostGIS without an index. */
    async function byDistance(lon: number, lat: number, where = 'TRUE'): Promise<string[]> {
      const { rows } = await pool.query<{ asset_id: string }>(
        `SELECT asset_id FROM read.asset_latest WHERE tenant_id = $1 AND geom IS NOT NULL AND ${where}
         ORDER BY ST_Distance(geom::geography, ST_SetSRID(ST_MakePoint($2, $3), 4326)::geography, false)`,
        [tenantA, lon, lat],
      );
      return rows.map((r) => r.asset_id);
    }

    it('answers the k nearest, nearest first, with their distance in metres', async () => {
      const got = (await assetQueries.nearest(as(tenantA), { lon: 8.4, lat: 47.2 }, 10)).map((f) =>
        NearestFeature.parse(f),
      );
      expect(got.map((f) => f.id)).toEqual((await byDistance(8.4, 47.2)).slice(0, 10));
      const distances = got.map((f) => f.properties.distanceMeters);
      expect([...distances].sort((a, b) => a - b)).toEqual(distances);
      expect(distances[0]).toBeGreaterThan(0);
    });

    it('filters by kind and status, and answers the whole fleet when k exceeds it', async () => {
      const drones = await assetQueries.nearest(as(tenantA), { lon: 8.4, lat: 47.2 }, 5, {
        kind: 'drone',
        status: 'assigned',
      });
      expect(drones.map((f) => f.id)).toEqual(
        (await byDistance(8.4, 47.2, `kind = 'drone' AND status = 'assigned'`)).slice(0, 5),
      );
      const all = await assetQueries.nearest(as(tenantB), { lon: 0, lat: 0 }, 100);
      expect(all).toHaveLength(assetsB.length);
    });

    it('plans are a KNN scan of the geography index', async () => {
      sent.mockClear();
      await assetQueries.nearest(as(tenantA), { lon: 8.4, lat: 47.2 }, 10);
      const nodes = await explainPlan(pool, sentQuery(sent.mock.calls[0]));
      expect(nodes.map(describePlanNode)).toContain('Index Scan using asset_latest_geog on asset_latest');
    });
  });

  describe('heatmap', () => {
    const bbox: Bbox = [8.0, 46.9, 9.2, 47.6];
    const window = { from: '2025-03-01T22:00:00Z', to: '2025-03-02T02:00:00Z' };

    /** Fix counts of tenant A per cell at `res` whose centre is in the bbox, from the generated fixes. */
    function expectedCells(res: number, from: number, to: number, via?: number): Map<string, number> {
      const counts = new Map<string, number>();
      for (const f of fixesA) {
        const t = Date.parse(f.ts);
        if (t < from || t >= to) continue;
        // A resolution not counted at ingest is the H3 parent of the next finer one that is.
        const cell =
          via === undefined ? latLngToCell(f.lat, f.lon, res) : cellToParent(latLngToCell(f.lat, f.lon, via), res);
        counts.set(cell, (counts.get(cell) ?? 0) + 1);
      }
      return counts;
    }

    const countsOf = (h: Heatmap): Map<string, number> =>
      new Map(h.items.map((c) => [c.properties.cell, c.properties.count]));

    it.each([{ res: 7 }, { res: 5 }, { res: 4, via: 5 }, { res: 6, via: 7 }])(
      'sums the hourly counts kept at ingest (resolution $res)',
      async ({ res, via }: { res: number; via?: number }) => {
        const heatmap = Heatmap.parse(await positions.heatmap(as(tenantA), bbox, window, res));
        expect(heatmap.source).toBe('rollup');
        const expected = expectedCells(res, Date.parse(window.from), Date.parse(window.to), via);
        const got = countsOf(heatmap);
        expect(got.size).toBeGreaterThan(3);
        for (const [cell, count] of got) expect(count).toBe(expected.get(cell));
        // Exactly the cells whose centre is in the bbox.
        const centred = [...expected.keys()].filter((cell) => {
          const [lat, lon] = cellToLatLng(cell);
          return inBbox(lon, lat, bbox);
        });
        expect([...got.keys()].sort()).toEqual(centred.sort());
        expect(centred.length).toBeLessThan(expected.size);
        expect(heatmap.items[0].geometry.coordinates[0].length).toBe(7);
      },
    );

    it('widens the window to whole hours with the rollup and says so', async () => {
      const heatmap = await positions.heatmap(
        as(tenantA),
        bbox,
        { from: '2025-03-01T22:30:00Z', to: '2025-03-01T23:10:00Z' },
        7,
      );
      expect({ from: heatmap.from, to: heatmap.to }).toEqual({
        from: '2025-03-01T22:00:00.000Z',
        to: '2025-03-02T00:00:00.000Z',
      });
    });

    it('counts the fixes themselves at a resolution finer than the stored ones, over the exact window', async () => {
      const w = { from: '2025-03-01T22:30:00Z', to: '2025-03-01T22:50:00Z' };
      const small: Bbox = [8.2, 47.0, 8.6, 47.2];
      const heatmap = await positions.heatmap(as(tenantA), small, w, 9);
      expect(heatmap.source).toBe('fixes');
      const expected = expectedCells(9, Date.parse(w.from), Date.parse(w.to));
      // Every cell whose centre is in the bbox, counted whole (also its fixes just outside the bbox).
      const centred = new Map(
        [...expected].filter(([cell]) => {
          const [lat, lon] = cellToLatLng(cell);
          return inBbox(lon, lat, small);
        }),
      );
      expect(countsOf(heatmap)).toEqual(centred);
      expect(heatmap.items.length).toBeGreaterThan(50);
    });

    it('a fix stored twice (a redelivered batch) is counted once', async () => {
      const before = countsOf(await positions.heatmap(as(tenantA), bbox, window, 7));
      await new PositionsWriter(pool, RESOLUTIONS).write(fixesA.slice(0, 3000));
      expect(countsOf(await positions.heatmap(as(tenantA), bbox, window, 7))).toEqual(before);
    });

    it('refuses answers past its limits with their codes; an empty window is an empty collection', async () => {
      const tight = new PositionQueries(
        queriesPool,
        { ...limits, maxHeatmapCells: 5, maxHeatmapFixes: 10 },
        RESOLUTIONS,
      );
      await expect(tight.heatmap(as(tenantA), bbox, window, 7)).rejects.toMatchObject({
        code: codes.heatmapTooManyCells,
      });
      await expect(tight.heatmap(as(tenantA), bbox, window, 10)).rejects.toMatchObject({
        code: codes.heatmapTooManyFixes,
      });
      const empty = await positions.heatmap(
        as(tenantA),
        bbox,
        { from: '2025-01-01T00:00:00Z', to: '2025-01-02T00:00:00Z' },
        7,
      );
      expect(empty.items).toEqual([]);
      expect((await positions.heatmap(as(tenantB), [-10, -10, -5, -5], window, 7)).items).toEqual([]);
    });

    it('merging closed hours leaves one row per cell and hour, and every count as it was', async () => {
      const rowsOf = async (): Promise<number> =>
        (
          await pool.query<{ n: number }>(`SELECT count(*)::int AS n FROM read.position_cells WHERE tenant_id = $1`, [
            tenantA,
          ])
        ).rows[0].n;
      const before = countsOf(await positions.heatmap(as(tenantA), bbox, window, 7));
      const coarse = countsOf(await positions.heatmap(as(tenantA), bbox, window, 5));
      const rowsBefore = await rowsOf();
      // Hours of 2025-03-01 22:00 to 2025-03-02 03:00; the compactor starts 6 hours before "now".
      let merged = 0;
      for (;;) {
        const done = await compactCells(pool, {
          now: Date.UTC(2025, 2, 2, 6),
          closedAfterMs: 3_600_000,
          maxHours: 2,
          lookBackHours: 9,
        });
        merged += done.hours;
        if (done.hours === 0) break;
      }
      expect(merged).toBeGreaterThan(4);
      const rowsAfter = await rowsOf();
      expect(rowsAfter).toBeLessThan(rowsBefore);
      const { rows: dupes } = await pool.query(
        `SELECT 1 FROM read.position_cells WHERE tenant_id = $1
         GROUP BY resolution, hour, cell HAVING count(*) > 1 LIMIT 1`,
        [tenantA],
      );
      expect(dupes).toEqual([]);
      expect(countsOf(await positions.heatmap(as(tenantA), bbox, window, 7))).toEqual(before);
      expect(countsOf(await positions.heatmap(as(tenantA), bbox, window, 5))).toEqual(coarse);
    });

    it('plans read position_cells by coarse cell and hour, and fixes by envelope', async () => {
      await expectIndexPlans(() => positions.heatmap(as(tenantA), bbox, window, 7), /^position_cells/);
      await expectIndexPlans(
        () =>
          positions.heatmap(
            as(tenantA),
            [8.2, 47.0, 8.6, 47.2],
            { from: '2025-03-01T22:30:00Z', to: '2025-03-01T22:50:00Z' },
            9,
          ),
        /^positions_/,
      );
    });
  });
  // The row filter of a restricted principal on the same queries: still from the same indexes, and
  // asset_latest (joined for the assets' sensitivity and team) read by key, never whole.
  describe.each(Object.entries(restricted))('plans for a principal restricted by %s', (_, overrides) => {
    const scope = () => as(tenantA, overrides);
    const anyTable = /^(positions(_\d{8})?|asset_latest|position_cells)$/;

    it("where-at-T, from the window's fixes and asset by asset", async () => {
      const at = new Date(START + 60 * STEP_MS).toISOString();
      await expectIndexPlans(
        () => positions.at(scope(), at, 600, [8.2, 47.05, 8.7, 47.3], 100),
        /^positions_/,
        anyTable,
      );
      await expectIndexPlans(() => positions.at(scope(), at, 86_400, undefined, 100), /^asset_latest/, anyTable);
    });

    it('a track, by (asset_id, ts)', async () => {
      const window = { from: new Date(START).toISOString(), to: new Date(LONE + 1).toISOString() };
      await expectIndexPlans(() => positions.track(scope(), assetsA[1].id, window, 10, 300), /^positions_/, anyTable);
    });

    // The bbox and window of the unrestricted fixes plan above: a heatmap over most of a day
    // partition's rows is rightly a sequential scan of it.
    it('a heatmap, counted from the fixes by envelope (never the hourly counts)', async () => {
      const window = { from: '2025-03-01T22:30:00Z', to: '2025-03-01T22:50:00Z' };
      await expectIndexPlans(
        () => positions.heatmap(scope(), [8.2, 47.0, 8.6, 47.2], window, 7),
        /^positions_/,
        anyTable,
      );
    });

    it('nearest, a KNN scan of the geography index', async () => {
      await expectIndexPlans(() => assetQueries.nearest(scope(), { lon: 8.4, lat: 47.2 }, 10), /^asset_latest/);
    });
  });
});
