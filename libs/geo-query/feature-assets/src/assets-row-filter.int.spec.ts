import { randomBytes, randomUUID } from 'node:crypto';
import type { Pool } from 'pg';
import type { DataSource } from 'typeorm';
import { afterAll, beforeAll, describe, expect, it } from '@jest/globals';
import { AssetErrors, AssetPage, NearestFeature } from '@meridian/contracts/assets';
import { type Bbox, type Envelope, QueryReplyV1 } from '@meridian/contracts/core';
import { AuthErrors, type Principal, requirePrincipal } from '@meridian/contracts/identity';
import { AssetLatest } from '@meridian/read-model/assets';
import { createReadModelDataSource, migrateReadModel, poolOf } from '@meridian/read-model/data-source';
import type { ReplyBody } from '@meridian/shared/messaging';
import { decide } from '@meridian/shared/policy';
import { seededRandom, testDatabaseUrl } from '@meridian/shared/testing';
import { testPrincipal } from '@meridian/shared/testing';
import { GetAssetHandler } from './get-asset/get-asset.handler';
import { ListAssetsHandler } from './list-assets/list-assets.handler';
import { NearestAssetsHandler } from './nearest-assets/nearest-assets.handler';

/*
 * The asset queries on real handlers, for principals the policy restricts: each sees exactly the
 * assets `decide` (the policy in process) allows it, computed here over the inserted rows — so the
 * SQL row filter and the in-process decision are shown to agree on the real queries.
 */

const run = randomBytes(3).toString('hex');
const tenants = { a: `gqf${run}-a`, b: `gqf${run}-b` };
const area: Bbox = [8, 47, 12, 51];
const TEAMS = [null, 'red', 'blue'] as const;

/** The western half of the area (a triangle): a region-restricted dispatcher's allowed region. */
const westHalf: NonNullable<Principal['region']> = {
  type: 'Polygon',
  coordinates: [
    [
      [8, 47],
      [12, 47],
      [8, 51],
      [8, 47],
    ],
  ],
};

/** The principals of the test: the header the gateway would send, and the principal it says. */
function principal(tenantId: string, overrides: Partial<Principal> = {}): { header: string; principal: Principal } {
  const header = testPrincipal(tenantId, overrides);
  return { header, principal: requirePrincipal({ tenantId, principal: header }) };
}
const restricted = {
  'region-restricted': principal(tenants.a, { roles: ['viewer'], subject: 'regional', region: westHalf }),
  'low-clearance': principal(tenants.a, { roles: ['dispatcher'], subject: 'cleared-1', clearance: 1 }),
  'team-restricted': principal(tenants.a, { roles: ['viewer'], subject: 'red-team', teams: ['red'] }),
};
const admin = principal(tenants.a);

interface Row {
  readonly id: string;
  readonly tenantId: string;
  readonly registered: boolean;
  readonly lon: number | null;
  readonly lat: number | null;
  readonly sensitivity: number;
  readonly team: string | null;
}

function inBbox(lon: number, lat: number, [minLon, minLat, maxLon, maxLat]: Bbox): boolean {
  return lon >= minLon && lon <= maxLon && lat >= minLat && lat <= maxLat;
}

/** What the policy reads of an asset: its latest position, sensitivity and team. */
const resourceOf = (r: Row) => ({
  tenantId: r.tenantId,
  location: r.lon === null || r.lat === null ? null : { type: 'Point' as const, coordinates: [r.lon, r.lat] },
  sensitivity: r.sensitivity,
  team: r.team,
});

const request = <T>(tenantId: string, data: T, header: string | null): Envelope<T> => ({
  id: randomUUID(),
  type: 'meridian.geo-query.test',
  source: '/meridian/gateway',
  time: new Date().toISOString(),
  data,
  correlationId: randomUUID(),
  tenantId,
  ...(header === null ? {} : { principal: header }),
});

function resultOf(body: ReplyBody): unknown {
  const reply = QueryReplyV1.schema.parse(body.data);
  if (reply.outcome !== 'ok') throw new Error(`not ok: ${reply.code}`);
  return reply.result;
}

describe('asset queries filtered by the principal (list, get, nearest; real PostGIS)', () => {
  let dataSource: DataSource;
  let pool: Pool;
  let list: ListAssetsHandler;
  let get: GetAssetHandler;
  let nearest: NearestAssetsHandler;
  const rows: Row[] = [];
  const now = new Date();

  /** What `decide` lets `p` see of tenant a's registered assets, optionally only those in `bbox`. */
  const allowed = (p: Principal, bbox?: Bbox): string[] =>
    rows
      .filter((r) => r.tenantId === tenants.a && r.registered)
      .filter((r) => !bbox || (r.lon !== null && r.lat !== null && inBbox(r.lon, r.lat, bbox)))
      .filter((r) => decide(p, 'assets:read', resourceOf(r), now).allow)
      .map((r) => r.id)
      .sort();

  async function pageThrough(header: string, tenantId: string, bbox?: Bbox): Promise<string[]> {
    const ids: string[] = [];
    let after: string | undefined;
    for (let pages = 0; pages < 100; pages++) {
      const data = { limit: 37, ...(bbox ? { bbox } : {}), ...(after ? { after } : {}) };
      const page = AssetPage.parse(resultOf(await list.list(request(tenantId, data, header))));
      ids.push(...page.items.map((f) => f.id));
      if (page.after === null) return ids;
      after = page.after;
    }
    throw new Error('paging does not end');
  }

  beforeAll(async () => {
    dataSource = await createReadModelDataSource({ url: testDatabaseUrl(), poolSize: 4 }).initialize();
    await migrateReadModel(dataSource);
    pool = poolOf(dataSource);
    list = new ListAssetsHandler(pool);
    get = new GetAssetHandler(dataSource.getRepository(AssetLatest));
    nearest = new NearestAssetsHandler(pool);

    const random = seededRandom(909);
    const add = (tenantId: string, n: number, opts: { registered?: boolean; placed?: boolean } = {}): void => {
      for (let i = 0; i < n; i++) {
        const placed = opts.placed ?? true;
        rows.push({
          id: randomUUID(),
          tenantId,
          registered: opts.registered ?? true,
          lon: placed ? area[0] + random() * (area[2] - area[0]) : null,
          lat: placed ? area[1] + random() * (area[3] - area[1]) : null,
          sensitivity: Math.floor(random() * 5),
          team: TEAMS[Math.floor(random() * TEAMS.length)],
        });
      }
    };
    add(tenants.a, 400);
    add(tenants.a, 20, { placed: false });
    add(tenants.a, 30, { registered: false });
    add(tenants.b, 150);
    const col = <K extends keyof Row>(k: K): Row[K][] => rows.map((r) => r[k]);
    await pool.query(
      `INSERT INTO read.asset_latest (asset_id, tenant_id, name, kind, status, version, geom, ts, sensitivity, team)
       SELECT a, t, CASE WHEN reg THEN 'asset ' || a END, CASE WHEN reg THEN 'drone' END,
         CASE WHEN reg THEN 'available' END, CASE WHEN reg THEN 1 ELSE 0 END,
         CASE WHEN lon IS NULL THEN NULL ELSE ST_SetSRID(ST_MakePoint(lon, lat), 4326) END, now(), s, team
       FROM unnest($1::uuid[], $2::text[], $3::bool[], $4::float8[], $5::float8[], $6::smallint[], $7::text[])
         AS r(a, t, reg, lon, lat, s, team)`,
      [col('id'), col('tenantId'), col('registered'), col('lon'), col('lat'), col('sensitivity'), col('team')],
    );
    await pool.query('ANALYZE read.asset_latest');
  });

  afterAll(async () => {
    await pool?.query(`DELETE FROM read.asset_latest WHERE tenant_id LIKE $1`, [`gqf${run}-%`]);
    await dataSource?.destroy();
  });

  it('the principals are restricted and see something: not vacuous', () => {
    const all = allowed(admin.principal);
    expect(all).toHaveLength(420);
    for (const { principal: p } of Object.values(restricted)) {
      const seen = allowed(p).length;
      expect(seen).toBeGreaterThan(50);
      expect(seen).toBeLessThan(all.length - 50);
    }
  });

  describe.each(Object.entries(restricted))('a %s principal', (_, { header, principal: p }) => {
    it('lists, in a bbox and without one, exactly the assets decide allows', async () => {
      const half: Bbox = [8, 47, 10.5, 51];
      expect(await pageThrough(header, tenants.a, half)).toEqual(allowed(p, half));
      expect(await pageThrough(header, tenants.a)).toEqual(allowed(p));
    });

    it('gets an allowed asset, and any other as not found (ASSET.NOT_FOUND)', async () => {
      const sample = rows.filter((r) => r.tenantId === tenants.a && r.registered).slice(0, 80);
      for (const r of sample) {
        const asked = get.get(request(tenants.a, { assetId: r.id }, header));
        if (decide(p, 'assets:read', resourceOf(r), now).allow) {
          await expect(asked.then(resultOf)).resolves.toMatchObject({ id: r.id });
        } else {
          await expect(asked).rejects.toMatchObject({ code: AssetErrors.assetNotFound });
        }
      }
    });

    it('answers the nearest allowed assets, nearest first', async () => {
      const point = { lon: 10, lat: 49 };
      const { rows: byDistance } = await pool.query<{ asset_id: string }>(
        `SELECT asset_id FROM read.asset_latest WHERE tenant_id = $1 AND name IS NOT NULL AND geom IS NOT NULL
         ORDER BY ST_Distance(geom::geography, ST_SetSRID(ST_MakePoint($2, $3), 4326)::geography, false)`,
        [tenants.a, point.lon, point.lat],
      );
      const visible = new Set(allowed(p));
      const expected = byDistance.map((r) => r.asset_id).filter((id) => visible.has(id));
      const body = await nearest.nearest(request(tenants.a, { ...point, k: 25 }, header));
      const { items } = resultOf(body) as { items: unknown[] };
      expect(items.map((f) => NearestFeature.parse(f).id)).toEqual(expected.slice(0, 25));
    });
  });

  it("shows another tenant's principal nothing of this tenant", async () => {
    const theirs = principal(tenants.b);
    const ids = await pageThrough(theirs.header, tenants.b);
    expect(ids).toEqual(
      rows
        .filter((r) => r.tenantId === tenants.b)
        .map((r) => r.id)
        .sort(),
    );
    const mine = rows.find((r) => r.tenantId === tenants.a && r.registered);
    await expect(get.get(request(tenants.b, { assetId: mine?.id ?? '' }, theirs.header))).rejects.toMatchObject({
      code: AssetErrors.assetNotFound,
    });
    const near = resultOf(await nearest.nearest(request(tenants.b, { lon: 10, lat: 49, k: 100 }, theirs.header)));
    const theirIds = new Set(rows.filter((r) => r.tenantId === tenants.b).map((r) => r.id));
    expect((near as { items: { id: string }[] }).items.every((f) => theirIds.has(f.id))).toBe(true);
  });

  it('refuses a request without a principal header (AUTH.PRINCIPAL_UNKNOWN) on every handler', async () => {
    const assetId = rows[0].id;
    for (const refused of [
      list.list(request(tenants.a, { limit: 10 }, null)),
      get.get(request(tenants.a, { assetId }, null)),
      nearest.nearest(request(tenants.a, { lon: 10, lat: 49, k: 5 }, null)),
    ]) {
      await expect(refused).rejects.toMatchObject({ code: AuthErrors.principalUnknown });
    }
  });
});
