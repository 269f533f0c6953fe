import { randomBytes, randomUUID } from 'node:crypto';
import type { Pool } from 'pg';
import type { DataSource } from 'typeorm';
import { afterAll, beforeAll, describe, expect, it, jest } from '@jest/globals';
import { AssetFeature, type AssetKind, AssetPage, type AssetStatus, assetKinds } from '@meridian/contracts/assets';
import type { Bbox } from '@meridian/contracts/core';
import { requirePrincipal } from '@meridian/contracts/identity';
import { AssetQueries, readScope } from '@meridian/read-model/assets';
import {
  createTestPool,
  describePlanNode,
  explainPlan,
  type SentQuery,
  sentQuery,
  testDatabaseUrl,
  seededRandom,
} from '@meridian/shared/testing';
import { testPrincipal } from '@meridian/shared/testing';
import { createReadModelDataSource, migrateReadModel, poolOf } from './data-source';

/*
 * AssetQueries (read-model/assets) against the read schema exactly as migrateReadModel makes it.
 * This spec lives in data-source, the one read-model lib that may import the table groups: in
 * read-model/assets it would import data-source, a dependency cycle lint refuses (flagging data-source.ts).
 */

/** One seeded row. name === null: a fix overtook the registration; lon === null: registered, no fix yet. */
interface Seed {
  readonly assetId: string;
  readonly tenantId: string;
  readonly name: string | null;
  readonly kind: AssetKind | null;
  readonly status: AssetStatus | null;
  readonly version: number;
  readonly lon: number | null;
  readonly lat: number | null;
  readonly ts: string | null;
  readonly speed: number | null;
  readonly heading: number | null;
}

const run = randomBytes(3).toString('hex');
/** Every tenant of this file starts with `geoq-`, so leftovers of an interrupted run can be removed. */
const tenantPrefix = `geoq-${run}-`;
const tenants = { big: `${tenantPrefix}big`, other: `${tenantPrefix}other`, small: `${tenantPrefix}small` };
/** The second layout: many tenants of ~2000 assets each, as in a shared (SaaS) deployment. */
const backgroundTenants = Array.from({ length: 10 }, (_, i) => `${tenantPrefix}fleet${i}`);

const region: Bbox = [5, 45, 15, 55];

/** An unrestricted administrator of the tenant, or one with `overrides` (region, clearance, teams). */
const as = (tenantId: string, overrides: Parameters<typeof testPrincipal>[1] = {}) =>
  readScope(requirePrincipal({ tenantId, principal: testPrincipal(tenantId, overrides) }));
/** The western half of `region`, as a triangle: a region-restricted dispatcher's allowed area. */
const westTriangle = {
  type: 'Polygon' as const,
  coordinates: [
    [
      [5, 45],
      [15, 45],
      [5, 55],
      [5, 45],
    ] as [number, number][],
  ],
};

function seedRows(layout: 'few-tenants' | 'many-tenants'): Seed[] {
  const random = seededRandom(layout === 'few-tenants' ? 20250301 : 20250302);
  const statuses: AssetStatus[] = ['registered', 'available', 'assigned', 'maintenance'];
  const rows: Seed[] = [];
  const add = (tenantId: string, n: number, area: Bbox, opts: { registered?: boolean; fix?: boolean } = {}): void => {
    const [minLon, minLat, maxLon, maxLat] = area;
    for (let i = 0; i < n; i++) {
      const registered = opts.registered ?? true;
      const fix = opts.fix ?? true;
      rows.push({
        assetId: randomUUID(),
        tenantId,
        name: registered ? `${tenantId} #${i}` : null,
        kind: registered ? assetKinds[i % assetKinds.length] : null,
        status: registered ? statuses[i % statuses.length] : null,
        version: registered ? 1 + (i % 5) : 0,
        lon: fix ? minLon + random() * (maxLon - minLon) : null,
        lat: fix ? minLat + random() * (maxLat - minLat) : null,
        ts: fix ? new Date(Date.UTC(2025, 2, 1) + Math.floor(random() * 86_400_000)).toISOString() : null,
        speed: fix ? Math.floor(random() * 60) / 2 : null, // halves: exact as real
        heading: fix ? Math.floor(random() * 360) : null,
      });
    }
  };
  if (layout === 'many-tenants') {
    for (const t of backgroundTenants) add(t, 2000, region);
    return rows;
  }
  add(tenants.big, 3000, region);
  add(tenants.big, 100, region, { registered: false });
  add(tenants.big, 20, [9, 49, 10, 50], { registered: false }); // inside the small box below
  add(tenants.big, 50, region, { fix: false });
  add(tenants.other, 1500, region);
  add(tenants.other, 60, [9, 49, 10, 50]);
  add(tenants.small, 200, [5, 45, 6, 46]);
  add(tenants.small, 10, [5, 45, 6, 46], { registered: false });
  return rows;
}

const inside = (r: Seed, [minLon, minLat, maxLon, maxLat]: Bbox): boolean =>
  r.lon !== null && r.lat !== null && r.lon >= minLon && r.lon <= maxLon && r.lat >= minLat && r.lat <= maxLat;

const feature = (r: Seed): AssetFeature => ({
  type: 'Feature',
  id: r.assetId,
  geometry: r.lon === null || r.lat === null ? null : { type: 'Point', coordinates: [r.lon, r.lat] },
  properties: {
    name: r.name ?? '',
    kind: r.kind ?? 'drone',
    status: r.status ?? 'registered',
    lastSeen: r.ts,
    speed: r.speed,
    heading: r.heading,
    version: r.version,
    sensitivity: 0,
    team: null,
  },
});

/** The page inBbox must answer, given every matching row in id order. */
const pageOf = (all: readonly Seed[], limit: number, from = 0): AssetPage => {
  const items = all.slice(from, from + limit);
  return {
    items: items.map(feature),
    after: all.length > from + limit ? items[items.length - 1].assetId : null,
  };
};

/** One call of AssetQueries whose plan DESIGN §5 requires to use an index. */
interface PlanCase {
  readonly name: string;
  readonly call: (q: AssetQueries, seeded: readonly Seed[]) => Promise<unknown>;
}

const byId = (a: Seed, b: Seed): number => (a.assetId < b.assetId ? -1 : a.assetId > b.assetId ? 1 : 0);
const registeredOf = (seeded: readonly Seed[], tenantId: string): Seed[] =>
  seeded.filter((r) => r.tenantId === tenantId && r.name !== null);
const idsOf = (seeded: readonly Seed[], n: number): string[] =>
  registeredOf(seeded, tenants.big)
    .slice(0, n)
    .map((r) => r.assetId);
/** The id a client would send as `after` for the page starting at `index` of the region's matches. */
const afterInRegion = (seeded: readonly Seed[], index: number): string =>
  registeredOf(seeded, tenants.big)
    .filter((r) => inside(r, region))
    .sort(byId)[index - 1].assetId;

const planCases = {
  bboxSmall: { name: 'inBbox, a small box', call: (q) => q.inBbox(as(tenants.big), [9, 49, 10, 50], 1000) },
  bboxFirstPage: {
    name: 'inBbox, the whole region, first page of 100',
    call: (q) => q.inBbox(as(tenants.big), region, 100),
  },
  bboxMiddlePage: {
    name: 'inBbox, the whole region, the page of 100 after the 1000th asset',
    call: (q, seeded) => q.inBbox(as(tenants.big), region, 100, afterInRegion(seeded, 1000)),
  },
  bboxQuarterPage: {
    name: 'inBbox, a quarter of the region, first page of 250',
    call: (q) => q.inBbox(as(tenants.other), [10, 50, 15, 55], 250),
  },
  bboxCluster: {
    name: "inBbox, a small tenant's cluster",
    call: (q) => q.inBbox(as(tenants.small), [5, 45, 6, 46], 1000),
  },
  bboxEmpty: { name: 'inBbox, a box with no assets', call: (q) => q.inBbox(as(tenants.big), [-80, -10, -70, 0], 10) },
  bboxWholeRegion: {
    name: 'inBbox, the whole region, a page of 1000 (zoomed-out map)',
    call: (q) => q.inBbox(as(tenants.big), region, 1000),
  },
  bboxWorld: {
    name: 'inBbox, the world, limit 1000 (the most GET /assets asks for)',
    call: (q) => q.inBbox(as(tenants.big), [-180, -90, 180, 90], 1000),
  },
  // A principal limited to half the region, and one below full clearance in two teams: the filter is
  // one more predicate on the rows the same index finds (docs/permissions.md).
  bboxRegionRestricted: {
    name: 'inBbox, the whole region, first page of 100, a region-restricted viewer',
    call: (q) => q.inBbox(as(tenants.big, { roles: ['viewer'], region: westTriangle }), region, 100),
  },
  bboxSmallRegionRestricted: {
    name: 'inBbox, a small box, a region-restricted viewer',
    call: (q) => q.inBbox(as(tenants.big, { roles: ['viewer'], region: westTriangle }), [9, 49, 10, 50], 1000),
  },
  bboxClearanceTeams: {
    name: 'inBbox, the whole region, first page of 100, clearance 1 and two teams',
    call: (q) => q.inBbox(as(tenants.big, { clearance: 1, teams: ['red', 'blue'] }), region, 100),
  },
  existing10: { name: 'existing, 10 ids', call: (q, seeded) => q.existing(tenants.big, idsOf(seeded, 10)) },
  existing60: { name: 'existing, 60 ids', call: (q, seeded) => q.existing(tenants.big, idsOf(seeded, 60)) },
  existing2000: {
    name: 'existing, 2000 ids (a telemetry batch after a Redis flush)',
    call: (q, seeded) => q.existing(tenants.big, idsOf(seeded, 2000)),
  },
} satisfies Record<string, PlanCase>;

describe('AssetQueries on read.asset_latest (real PostGIS)', () => {
  let dataSource: DataSource;
  let pool: Pool;
  /** The pool AssetQueries uses; a spy records the SQL text and parameters it sends. */
  let queriesPool: Pool;
  let sent: jest.Spied<(text: string, values?: unknown[]) => Promise<unknown>>;
  let queries: AssetQueries;
  let seeded: Seed[];
  let assetLatestIndexes: string[];

  /** Runs one AssetQueries call and returns the SQL it sent. */
  async function capture(call: (q: AssetQueries) => Promise<unknown>): Promise<SentQuery> {
    sent.mockClear();
    await call(queries);
    expect(sent).toHaveBeenCalledTimes(1);
    return sentQuery(sent.mock.calls[0]);
  }

  async function expectIndexPlan(c: PlanCase): Promise<void> {
    const nodes = await explainPlan(pool, await capture((q) => c.call(q, seeded)));
    const plan = nodes.map(describePlanNode).join(' → ');
    const indexScans = nodes.filter(
      (n) =>
        ['Index Scan', 'Index Only Scan', 'Bitmap Index Scan'].includes(n['Node Type']) &&
        assetLatestIndexes.includes(n['Index Name'] ?? ''),
    );
    const seqScans = nodes.filter((n) => n['Node Type'] === 'Seq Scan' && n['Relation Name'] === 'asset_latest');
    // The plan is part of the compared value, so a failure prints it.
    expect({ plan, usesIndex: indexScans.length > 0, seqScans: seqScans.map(describePlanNode) }).toEqual({
      plan,
      usesIndex: true,
      seqScans: [],
    });
  }

  async function insert(rows: readonly Seed[]): Promise<void> {
    const col = <K extends keyof Seed>(k: K): Seed[K][] => rows.map((r) => r[k]);
    await pool.query(
      `INSERT INTO read.asset_latest (asset_id, tenant_id, name, kind, status, version, geom, ts, speed, heading)
       SELECT a, t, n, k, s, v, CASE WHEN lon IS NULL THEN NULL ELSE ST_SetSRID(ST_MakePoint(lon, lat), 4326) END,
         ts, sp, h
       FROM unnest($1::uuid[], $2::text[], $3::text[], $4::text[], $5::text[], $6::int[], $7::float8[], $8::float8[],
         $9::timestamptz[], $10::real[], $11::real[]) AS f(a, t, n, k, s, v, lon, lat, ts, sp, h)`,
      [
        col('assetId'),
        col('tenantId'),
        col('name'),
        col('kind'),
        col('status'),
        col('version'),
        col('lon'),
        col('lat'),
        col('ts'),
        col('speed'),
        col('heading'),
      ],
    );
    await pool.query('ANALYZE read.asset_latest');
  }

  const ofTenant = (tenantId: string, pick: (r: Seed) => boolean = () => true): Seed[] =>
    seeded.filter((r) => r.tenantId === tenantId && pick(r));
  const matching = (tenantId: string, bbox: Bbox): Seed[] =>
    ofTenant(tenantId, (r) => r.name !== null && inside(r, bbox)).sort(byId);

  beforeAll(async () => {
    dataSource = await createReadModelDataSource({ url: testDatabaseUrl(), poolSize: 4 }).initialize();
    await migrateReadModel(dataSource);
    pool = poolOf(dataSource);
    queriesPool = createTestPool();
    // Rows and dead space left by earlier runs would shift the planner's costs: start compact.
    await pool.query(`DELETE FROM read.asset_latest WHERE tenant_id LIKE 'geoq-%'`);
    await pool.query('VACUUM FULL read.asset_latest');

    // First layout: a few thousand assets, one tenant owns about 60% of them.
    seeded = seedRows('few-tenants');
    await insert(seeded);

    assetLatestIndexes = (
      await pool.query<{ indexname: string }>(
        `SELECT indexname FROM pg_indexes WHERE schemaname = 'read' AND tablename = 'asset_latest'`,
      )
    ).rows.map((r) => r.indexname);

    queries = new AssetQueries(queriesPool);
    sent = jest.spyOn(queriesPool, 'query') as unknown as typeof sent;
  });

  afterAll(async () => {
    sent?.mockRestore();
    await pool?.query(`DELETE FROM read.asset_latest WHERE tenant_id LIKE $1`, [`${tenantPrefix}%`]);
    await pool?.query('VACUUM read.asset_latest');
    await queriesPool?.end();
    await dataSource?.destroy();
  });

  describe('inBbox', () => {
    const cases: readonly { name: string; tenant: keyof typeof tenants; bbox: Bbox; limit: number }[] = [
      { name: 'a small box, everything in it', tenant: 'big', bbox: [9, 49, 10, 50], limit: 1000 },
      { name: 'the whole region, first page', tenant: 'big', bbox: region, limit: 100 },
      { name: 'a quarter of the region, first page', tenant: 'other', bbox: [10, 50, 15, 55], limit: 250 },
      {
        name: "a small tenant's cluster that other tenants also cover",
        tenant: 'small',
        bbox: [5, 45, 6, 46],
        limit: 1000,
      },
      { name: 'a box with no assets', tenant: 'big', bbox: [-80, -10, -70, 0], limit: 10 },
      { name: 'the world, first 1000 (the most a page holds)', tenant: 'big', bbox: [-180, -90, 180, 90], limit: 1000 },
    ];

    it.each(cases)("returns a page of the tenant's registered assets in the box, by id: $name", async (c) => {
      const tenantId = tenants[c.tenant];
      const result = await queries.inBbox(as(tenantId), c.bbox, c.limit);

      expect(result).toEqual(pageOf(matching(tenantId, c.bbox), c.limit));
      expect(AssetPage.parse(result)).toEqual(result);
    });

    it('the cases are not vacuous: other tenants and unregistered rows lie in the boxes, and limits cut', () => {
      const [small, firstPage, , cluster] = cases;
      expect(matching(tenants.big, firstPage.bbox).length).toBeGreaterThan(firstPage.limit);
      expect(seeded.filter((r) => r.tenantId !== tenants.big && inside(r, small.bbox)).length).toBeGreaterThan(0);
      expect(ofTenant(tenants.big, (r) => r.name === null && inside(r, small.bbox)).length).toBeGreaterThan(0);
      expect(matching(tenants.big, small.bbox).length).toBeGreaterThan(0);
      expect(seeded.filter((r) => r.tenantId !== tenants.small && inside(r, cluster.bbox)).length).toBeGreaterThan(0);
    });

    it('continues after `after`: the page after the 1000th match, and the last page (after = null)', async () => {
      const all = matching(tenants.big, region);
      expect(await queries.inBbox(as(tenants.big), region, 100, all[999].assetId)).toEqual(pageOf(all, 100, 1000));

      const last = await queries.inBbox(as(tenants.big), region, 1000, all[all.length - 11].assetId);
      expect(last).toEqual({ items: all.slice(-10).map(feature), after: null });
    });

    it('continues in id order after an id that is not in the box (or no longer exists)', async () => {
      const all = matching(tenants.big, region);
      const gone = randomUUID();
      const from = all.findIndex((r) => r.assetId > gone);

      expect(await queries.inBbox(as(tenants.big), region, 50, gone)).toEqual(pageOf(all, 50, from));
    });

    it("never returns another tenant's asset, even one exactly on the box edge", async () => {
      const edge = ofTenant(tenants.other, (r) => r.name !== null && r.lon !== null)[0];
      const bbox: Bbox = [edge.lon ?? 0, edge.lat ?? 0, (edge.lon ?? 0) + 0.5, (edge.lat ?? 0) + 0.5];
      expect((await queries.inBbox(as(tenants.other), bbox, 1000)).items.map((f) => f.id)).toContain(edge.assetId);

      const result = await queries.inBbox(as(tenants.big), bbox, 1000);
      const otherIds = new Set(seeded.filter((r) => r.tenantId !== tenants.big).map((r) => r.assetId));
      expect(result.items.filter((f) => otherIds.has(f.id))).toEqual([]);
      expect(result.items.map((f) => f.id)).toEqual(matching(tenants.big, bbox).map((r) => r.assetId));
    });
  });

  describe('existing', () => {
    it("returns only the tenant's registered ids", async () => {
      const mine = ofTenant(tenants.big, (r) => r.name !== null).slice(0, 40);
      const unregistered = ofTenant(tenants.big, (r) => r.name === null).slice(0, 10);
      const theirs = ofTenant(tenants.other).slice(0, 10);
      const unknown = Array.from({ length: 5 }, () => randomUUID());
      const asked = [...mine, ...unregistered, ...theirs].map((r) => r.assetId).concat(unknown);

      const result = await queries.existing(tenants.big, asked);

      expect([...result].sort()).toEqual(mine.map((r) => r.assetId).sort());
    });

    it('returns nothing for an empty list or for ids of another tenant', async () => {
      expect(await queries.existing(tenants.big, [])).toEqual([]);
      expect(
        await queries.existing(
          tenants.small,
          ofTenant(tenants.big).map((r) => r.assetId),
        ),
      ).toEqual([]);
    });

    it('answers a batch of 2000 ids', async () => {
      const asked = ofTenant(tenants.big).slice(0, 2000);
      const result = await queries.existing(
        tenants.big,
        asked.map((r) => r.assetId),
      );
      expect([...result].sort()).toEqual(
        asked
          .filter((r) => r.name !== null)
          .map((r) => r.assetId)
          .sort(),
      );
    });
  });

  // DESIGN §5: every query's plan uses an index; the plans below are of the SQL text and parameters
  // AssetQueries actually sends, captured from its pool.
  describe('plans, a few thousand assets, one tenant owning ~60% of them', () => {
    // When one tenant owns most of a table this small (~95 pages), a sequential scan is genuinely
    // the cheapest plan for id lists checked against most of it (docs/decisions/0005). No plan is
    // asserted for those here; the block below asserts the index for every query at a realistic
    // tenant share. (Keyset pages, ORDER BY asset_id LIMIT n, use an index even here.)
    const { existing60: _ids60, existing2000: _ids2000, ...indexed } = planCases;

    it.each(Object.values(indexed))('$name uses an index on asset_latest', (c) => expectIndexPlan(c));
  });

  describe('plans, with ten more tenants of 2000 assets each (the queried tenant owns ~12%)', () => {
    beforeAll(async () => {
      await insert(seedRows('many-tenants'));
    });

    it.each(Object.values(planCases))('$name uses an index on asset_latest', (c) => expectIndexPlan(c));
  });
});
