import { randomBytes, randomUUID } from 'node:crypto';
import type { Pool } from 'pg';
import type { DataSource } from 'typeorm';
import { afterAll, beforeAll, describe, expect, it, jest } from '@jest/globals';
import { AssetPage } from '@meridian/contracts/assets';
import { type Bbox, type Envelope, QueryReplyV1 } from '@meridian/contracts/core';
import { AuthErrors } from '@meridian/contracts/identity';
import { createReadModelDataSource, migrateReadModel, poolOf } from '@meridian/read-model/data-source';
import type { ReplyBody } from '@meridian/shared/messaging';
import { describePlanNode, explainPlan, sentQuery, testDatabaseUrl } from '@meridian/shared/testing';
import { testPrincipal } from '@meridian/shared/testing';
import { ListAssetsHandler } from './list-assets.handler';

const run = randomBytes(3).toString('hex');
const tenantPrefix = `gl${run}-`;
const tenants = { fleet: `${tenantPrefix}fleet`, other: `${tenantPrefix}other` };
const bbox: Bbox = [8, 47, 12, 51];
const LIMIT = 100;

interface ListData {
  readonly bbox?: Bbox;
  readonly limit: number;
  readonly after?: string;
}

/** A request as the gateway sends it: the tenant and its principal (an unrestricted admin unless `principal`). */
const request = (tenantId: string, data: ListData, principal: string | null = testPrincipal(tenantId)) =>
  ({
    id: randomUUID(),
    type: 'meridian.geo-query.assets.in-bbox.v1',
    source: '/meridian/gateway',
    time: new Date().toISOString(),
    data,
    correlationId: randomUUID(),
    tenantId,
    ...(principal === null ? {} : { principal }),
  }) satisfies Envelope<ListData>;

/** The western half of the bbox, as a triangle. */
const westOfBbox = {
  type: 'Polygon' as const,
  coordinates: [
    [
      [8, 47],
      [12, 47],
      [8, 51],
      [8, 47],
    ] as [number, number][],
  ],
};

/** The page of an `ok` query reply, checked against the contract the gateway reads it with. */
function pageOf(body: ReplyBody): AssetPage {
  expect(body.type).toBe(QueryReplyV1.type);
  const reply = QueryReplyV1.schema.parse(body.data);
  if (reply.outcome !== 'ok') throw new Error(`not ok: ${reply.code}`);
  return AssetPage.parse(reply.result);
}

describe('ListAssetsHandler: keyset pages of the assets in a bbox (real PostGIS)', () => {
  let dataSource: DataSource;
  let pool: Pool;
  let handler: ListAssetsHandler;
  /** The 2,500 registered assets of the fleet inside the bbox, in id order. */
  let inside: string[];

  /** Inserts registered assets (or, with `name` null, fix-only rows) at the given points. */
  async function insert(tenantId: string, points: readonly [string, number, number][], registered = true) {
    await pool.query(
      `INSERT INTO read.asset_latest (asset_id, tenant_id, name, kind, status, version, geom, ts)
       SELECT a, $1, CASE WHEN $5 THEN 'asset ' || a ELSE NULL END, CASE WHEN $5 THEN 'drone' END,
         CASE WHEN $5 THEN 'available' END, CASE WHEN $5 THEN 1 ELSE 0 END,
         ST_SetSRID(ST_MakePoint(lon, lat), 4326), now()
       FROM unnest($2::uuid[], $3::float8[], $4::float8[]) AS p(a, lon, lat)`,
      [tenantId, points.map((p) => p[0]), points.map((p) => p[1]), points.map((p) => p[2]), registered],
    );
  }

  const scatter = (n: number, [minLon, minLat, maxLon, maxLat]: Bbox): [string, number, number][] =>
    Array.from({ length: n }, () => [
      randomUUID(),
      minLon + Math.random() * (maxLon - minLon),
      minLat + Math.random() * (maxLat - minLat),
    ]);

  /** Follows `after` from the first page to the last, calling `between` after each page. */
  async function pageThrough(between: (pageNo: number, after: string | null) => Promise<void> = async () => undefined) {
    const pages: AssetPage[] = [];
    let after: string | undefined;
    for (;;) {
      const page = pageOf(
        await handler.list(request(tenants.fleet, { bbox, limit: LIMIT, ...(after ? { after } : {}) })),
      );
      pages.push(page);
      await between(pages.length, page.after);
      if (page.after === null) return pages;
      if (pages.length > 100) throw new Error('paging does not end');
      after = page.after;
    }
  }

  beforeAll(async () => {
    dataSource = await createReadModelDataSource({ url: testDatabaseUrl(), poolSize: 4 }).initialize();
    await migrateReadModel(dataSource);
    pool = poolOf(dataSource);
    handler = new ListAssetsHandler(pool);

    const fleet = scatter(2500, bbox);
    await insert(tenants.fleet, fleet);
    // Rows that must never appear: the fleet outside the box, fix-only rows inside, another tenant inside.
    await insert(tenants.fleet, scatter(300, [20, 30, 25, 35]));
    await insert(tenants.fleet, scatter(100, bbox), false);
    await insert(tenants.other, scatter(400, bbox));
    await pool.query('ANALYZE read.asset_latest');
    inside = fleet.map((p) => p[0]).sort();
  });

  afterAll(async () => {
    await pool?.query(`DELETE FROM read.asset_latest WHERE tenant_id LIKE $1`, [`${tenantPrefix}%`]);
    await dataSource?.destroy();
  });

  it('returns each of 2,500 assets exactly once, in id order, 100 a page; the last page has after = null', async () => {
    const pages = await pageThrough();

    expect(pages).toHaveLength(25);
    const ids = pages.flatMap((p) => p.items.map((f) => f.id));
    expect(ids).toEqual(inside);
    for (const [i, page] of pages.entries()) {
      expect(page.items).toHaveLength(LIMIT);
      // `after` is the last id of a page while more match; the 25th page is full and still the last.
      expect(page.after).toBe(i < pages.length - 1 ? page.items[LIMIT - 1].id : null);
    }
  });

  it('neither repeats nor skips an existing asset when assets are added while paging', async () => {
    /** Each added asset with the cursor at the time: the page after it had been read. */
    const added: { id: string; cursor: string | null }[] = [];
    const addOne = async (cursor: string | null): Promise<void> => {
      const [point] = scatter(1, bbox);
      await insert(tenants.fleet, [point]);
      added.push({ id: point[0], cursor });
    };

    const pages = await pageThrough(async (pageNo, after) => {
      if (pageNo % 5 === 0) await Promise.all([addOne(after), addOne(after)]);
    });

    // Exactly the existing assets, each once, plus the added ones whose id lay ahead of the cursor;
    // all in id order.
    const ahead = added.filter((a) => a.cursor !== null && a.id > a.cursor).map((a) => a.id);
    expect(added.length).toBeGreaterThan(ahead.length); // some come too late: not vacuous
    expect(pages.flatMap((p) => p.items.map((f) => f.id))).toEqual([...inside, ...ahead].sort());

    // And an insert racing with the read of a page: the page holds the next existing assets in id
    // order, with the new one among them or not.
    const [racing] = await Promise.all([
      handler.list(request(tenants.fleet, { bbox, limit: LIMIT, after: inside[1199] })),
      addOne(inside[1199]),
    ]);
    const known = new Set(inside);
    const shown = pageOf(racing).items.map((f) => f.id);
    const existing = shown.filter((id) => known.has(id));
    expect(shown).toEqual([...shown].sort());
    expect(existing.length).toBeGreaterThanOrEqual(LIMIT - 1);
    expect(existing).toEqual(inside.slice(1200, 1200 + existing.length));

    await pool.query(`DELETE FROM read.asset_latest WHERE asset_id = ANY($1::uuid[])`, [added.map((a) => a.id)]);
  });

  it('answers a page from an index on asset_latest (EXPLAIN of the SQL the handler sends)', async () => {
    const sent = jest.spyOn(pool, 'query');
    let call: unknown[];
    try {
      await handler.list(request(tenants.fleet, { bbox, limit: LIMIT, after: inside[999] }));
      expect(sent).toHaveBeenCalledTimes(1);
      call = sent.mock.calls[0];
    } finally {
      sent.mockRestore();
    }
    const plan = (await explainPlan(pool, sentQuery(call))).map(describePlanNode);
    expect({ plan, indexed: plan.some((p) => / using asset_latest_/.test(p)) }).toEqual({ plan, indexed: true });
    expect(plan.filter((p) => p.startsWith('Seq Scan'))).toEqual([]);
  });

  it('without a bbox pages every registered asset of the tenant, positioned or not, from an index', async () => {
    const unpositioned = [randomUUID(), randomUUID()];
    await pool.query(
      `INSERT INTO read.asset_latest (asset_id, tenant_id, name, kind, status, version)
       SELECT a, $1, 'unplaced', 'crew', 'registered', 1 FROM unnest($2::uuid[]) AS a`,
      [tenants.fleet, unpositioned],
    );
    const outside = (
      await pool.query<{ asset_id: string }>(
        `SELECT asset_id FROM read.asset_latest WHERE tenant_id = $1 AND name IS NOT NULL`,
        [tenants.fleet],
      )
    ).rows.map((r) => r.asset_id);
    const ids: string[] = [];
    let after: string | undefined;
    const sent = jest.spyOn(pool, 'query');
    let firstCall: unknown[] = [];
    try {
      for (let pages = 0; pages < 200; pages++) {
        const page = pageOf(await handler.list(request(tenants.fleet, { limit: LIMIT, ...(after ? { after } : {}) })));
        ids.push(...page.items.map((f) => f.id));
        if (page.after === null) break;
        after = page.after;
      }
      firstCall = sent.mock.calls[1];
    } finally {
      sent.mockRestore();
    }
    // The 2,500 inside, the 300 outside and the unpositioned two; never fix-only rows or another tenant's.
    expect(ids).toEqual([...outside].sort());
    expect(ids).toEqual(expect.arrayContaining([...unpositioned, ...inside]));
    expect(ids).toHaveLength(inside.length + 300 + 2);
    const plan = (await explainPlan(pool, sentQuery(firstCall))).map((n) => n['Node Type']);
    expect(plan.filter((p) => p === 'Seq Scan')).toEqual([]);
    await pool.query(`DELETE FROM read.asset_latest WHERE asset_id = ANY($1::uuid[])`, [unpositioned]);
  });

  it("answers a region-restricted principal's page from an index too, the region one more condition", async () => {
    const regional = testPrincipal(tenants.fleet, { roles: ['viewer'], region: westOfBbox });
    const sent = jest.spyOn(pool, 'query');
    let call: unknown[];
    try {
      await handler.list(request(tenants.fleet, { bbox, limit: LIMIT, after: inside[999] }, regional));
      call = sent.mock.calls[0];
    } finally {
      sent.mockRestore();
    }
    const query = sentQuery(call);
    expect(query.text).toMatch(/ST_Intersects\(geom, ST_SetSRID\(ST_GeomFromGeoJSON\(\$\d+\)/);
    const plan = (await explainPlan(pool, query)).map(describePlanNode);
    expect({ plan, indexed: plan.some((p) => / using asset_latest_/.test(p)) }).toEqual({ plan, indexed: true });
    expect(plan.filter((p) => p.startsWith('Seq Scan'))).toEqual([]);
  });

  it('refuses a request without a principal (AUTH.PRINCIPAL_UNKNOWN) or with one of another tenant', async () => {
    await expect(handler.list(request(tenants.fleet, { bbox, limit: LIMIT }, null))).rejects.toMatchObject({
      code: AuthErrors.principalUnknown,
    });
    const theirs = testPrincipal(tenants.other);
    await expect(handler.list(request(tenants.fleet, { bbox, limit: LIMIT }, theirs))).rejects.toMatchObject({
      code: AuthErrors.forbiddenTenant,
    });
  });
});
