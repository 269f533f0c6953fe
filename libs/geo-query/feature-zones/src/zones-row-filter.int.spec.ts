import { randomBytes, randomUUID } from 'node:crypto';
import type { Pool } from 'pg';
import type { DataSource } from 'typeorm';
import { afterAll, beforeAll, describe, expect, it } from '@jest/globals';
import { type Bbox, type Envelope, QueryReplyV1 } from '@meridian/contracts/core';
import { AuthErrors, type Principal, requirePrincipal } from '@meridian/contracts/identity';
import { ZoneErrors, ZonePage, ZoneVisitPage } from '@meridian/contracts/zones';
import { createReadModelDataSource, migrateReadModel, poolOf } from '@meridian/read-model/data-source';
import { ZoneQueries } from '@meridian/read-model/zones';
import type { ReplyBody } from '@meridian/shared/messaging';
import { decide } from '@meridian/shared/policy';
import { seededRandom, testDatabaseUrl } from '@meridian/shared/testing';
import { testPrincipal } from '@meridian/shared/testing';
import { AssetVisitsHandler } from './asset-visits/asset-visits.handler';
import { AssetsInZoneHandler } from './assets-in-zone/assets-in-zone.handler';
import { GetZoneHandler } from './get-zone/get-zone.handler';
import { ListZonesHandler } from './list-zones/list-zones.handler';
import { ZoneVisitsHandler } from './zone-visits/zone-visits.handler';

/*
 * The zone queries on real handlers, for principals the policy restricts: each sees exactly the
 * zones `decide` allows, and the stays whose zone and asset it allows (the asset by its sensitivity
 * and team: the region is the zone's), computed here over the inserted rows.
 */

const run = randomBytes(3).toString('hex');
const tenants = { a: `gqz${run}-a`, b: `gqz${run}-b` };
const TEAMS = [null, 'red', 'blue'] as const;
const DAY = Date.UTC(2024, 4, 1);

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

function principal(tenantId: string, overrides: Partial<Principal> = {}): { header: string; principal: Principal } {
  const header = testPrincipal(tenantId, overrides);
  return { header, principal: requirePrincipal({ tenantId, principal: header }) };
}
const restricted = {
  'region-restricted': principal(tenants.a, { roles: ['viewer'], subject: 'regional', region: westHalf }),
  'low-clearance': principal(tenants.a, { roles: ['dispatcher'], subject: 'cleared-1', clearance: 1 }),
  'team-restricted': principal(tenants.a, { roles: ['viewer'], subject: 'red-team', teams: ['red'] }),
};

interface Attributes {
  readonly tenantId: string;
  readonly sensitivity: number;
  readonly team: string | null;
}
interface Zone extends Attributes {
  readonly id: string;
  /** South-west corner and side of the square, in degrees. */
  readonly lon: number;
  readonly lat: number;
  readonly size: number;
  readonly archived: boolean;
}
interface Asset extends Attributes {
  readonly id: string;
}
interface Visit {
  readonly zone: Zone;
  readonly asset: Asset;
  readonly enteredAt: string;
  readonly exitedAt: string | null;
}

const square = (z: Zone) => ({
  type: 'Polygon' as const,
  coordinates: [
    [
      [z.lon, z.lat],
      [z.lon + z.size, z.lat],
      [z.lon + z.size, z.lat + z.size],
      [z.lon, z.lat + z.size],
      [z.lon, z.lat],
    ],
  ],
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

const byKey =
  <T>(key: (t: T) => string) =>
  (a: T, b: T): number =>
    key(a) < key(b) ? -1 : key(a) > key(b) ? 1 : 0;

describe('zone queries filtered by the principal (list, get, visits, assets inside; real PostGIS)', () => {
  let dataSource: DataSource;
  let pool: Pool;
  let list: ListZonesHandler;
  let get: GetZoneHandler;
  let zoneVisits: ZoneVisitsHandler;
  let assetVisits: AssetVisitsHandler;
  let inside: AssetsInZoneHandler;
  const zones: Zone[] = [];
  const assets: Asset[] = [];
  const visits: Visit[] = [];
  const now = new Date();

  const seesZone = (p: Principal, z: Zone): boolean =>
    decide(
      p,
      'zones:read',
      { tenantId: z.tenantId, location: square(z), sensitivity: z.sensitivity, team: z.team },
      now,
    ).allow;
  /** A stay's asset: its sensitivity and team (it was in the zone, whose region is checked). */
  const seesAsset = (p: Principal, a: Asset): boolean => decide({ ...p, region: null }, 'zones:read', a, now).allow;
  const seesVisit = (p: Principal, v: Visit): boolean => seesZone(p, v.zone) && seesAsset(p, v.asset);

  /** Every page of a paged query, `next(after)` asking for one. */
  async function pages<T>(
    next: (after?: string) => Promise<ReplyBody>,
    parse: (r: unknown) => { items: T[]; after: string | null },
  ) {
    const items: T[] = [];
    let after: string | undefined;
    for (let n = 0; n < 200; n++) {
      const page = parse(resultOf(await next(after)));
      items.push(...page.items);
      if (page.after === null) return items;
      after = page.after;
    }
    throw new Error('paging does not end');
  }

  beforeAll(async () => {
    dataSource = await createReadModelDataSource({ url: testDatabaseUrl(), poolSize: 4 }).initialize();
    await migrateReadModel(dataSource);
    pool = poolOf(dataSource);
    const queries = new ZoneQueries(pool);
    list = new ListZonesHandler(queries);
    get = new GetZoneHandler(queries);
    zoneVisits = new ZoneVisitsHandler(queries);
    assetVisits = new AssetVisitsHandler(queries);
    inside = new AssetsInZoneHandler(queries);

    const random = seededRandom(77);
    const attributes = (tenantId: string): Attributes => ({
      tenantId,
      sensitivity: Math.floor(random() * 5),
      team: TEAMS[Math.floor(random() * TEAMS.length)],
    });
    for (const [tenantId, nZones, nAssets] of [
      [tenants.a, 160, 50],
      [tenants.b, 30, 10],
    ] as const) {
      for (let i = 0; i < nZones; i++) {
        const size = 0.1 + random() * 0.3;
        zones.push({
          id: randomUUID(),
          ...attributes(tenantId),
          lon: 8 + random() * (4 - size),
          lat: 47 + random() * (4 - size),
          size,
          archived: i % 10 === 9,
        });
      }
      for (let i = 0; i < nAssets; i++) assets.push({ id: randomUUID(), ...attributes(tenantId) });
    }
    for (const zone of zones) {
      const theirs = assets.filter((a) => a.tenantId === zone.tenantId);
      const picked = new Set(
        Array.from({ length: 1 + Math.floor(random() * 6) }, () => theirs[Math.floor(random() * theirs.length)]),
      );
      for (const asset of picked) {
        const entered = DAY + Math.floor(random() * 20) * 3_600_000 + Math.floor(random() * 3600) * 1000;
        visits.push({
          zone,
          asset,
          enteredAt: new Date(entered).toISOString(),
          exitedAt: random() < 0.4 ? null : new Date(entered + 600_000).toISOString(),
        });
      }
    }

    await pool.query(
      `INSERT INTO read.zones (zone_id, tenant_id, name, kind, geom, sensitivity, team, version, created_at, updated_at,
         archived_at)
       SELECT z, t, 'zone ' || z, 'geofence', ST_MakeEnvelope(x, y, x + d, y + d, 4326), s, team, 1, now(), now(),
         CASE WHEN arch THEN now() END
       FROM unnest($1::uuid[], $2::text[], $3::float8[], $4::float8[], $5::float8[], $6::smallint[], $7::text[],
         $8::bool[]) AS r(z, t, x, y, d, s, team, arch)`,
      [
        zones.map((z) => z.id),
        zones.map((z) => z.tenantId),
        zones.map((z) => z.lon),
        zones.map((z) => z.lat),
        zones.map((z) => z.size),
        zones.map((z) => z.sensitivity),
        zones.map((z) => z.team),
        zones.map((z) => z.archived),
      ],
    );
    await pool.query(
      `INSERT INTO read.asset_latest (asset_id, tenant_id, name, kind, status, version, sensitivity, team)
       SELECT a, t, 'asset ' || a, 'crew', 'available', 1, s, team
       FROM unnest($1::uuid[], $2::text[], $3::smallint[], $4::text[]) AS r(a, t, s, team)`,
      [
        assets.map((a) => a.id),
        assets.map((a) => a.tenantId),
        assets.map((a) => a.sensitivity),
        assets.map((a) => a.team),
      ],
    );
    await pool.query(
      `INSERT INTO read.zone_visits (tenant_id, zone_id, asset_id, entered_at, exited_at)
       SELECT * FROM unnest($1::text[], $2::uuid[], $3::uuid[], $4::timestamptz[], $5::timestamptz[])`,
      [
        visits.map((v) => v.zone.tenantId),
        visits.map((v) => v.zone.id),
        visits.map((v) => v.asset.id),
        visits.map((v) => v.enteredAt),
        visits.map((v) => v.exitedAt),
      ],
    );
    await pool.query('ANALYZE read.zones');
    await pool.query('ANALYZE read.zone_visits');
  });

  afterAll(async () => {
    await pool?.query(`DELETE FROM read.zone_visits WHERE tenant_id LIKE $1`, [`gqz${run}-%`]);
    await pool?.query(`DELETE FROM read.zones WHERE tenant_id LIKE $1`, [`gqz${run}-%`]);
    await pool?.query(`DELETE FROM read.asset_latest WHERE tenant_id LIKE $1`, [`gqz${run}-%`]);
    await dataSource?.destroy();
  });

  const zonesOfA = (): Zone[] => zones.filter((z) => z.tenantId === tenants.a);
  const visitsOfA = (): Visit[] => visits.filter((v) => v.zone.tenantId === tenants.a);

  it('the principals are restricted and see something: not vacuous', () => {
    for (const { principal: p } of Object.values(restricted)) {
      const seen = zonesOfA().filter((z) => seesZone(p, z)).length;
      expect(seen).toBeGreaterThan(20);
      expect(seen).toBeLessThan(zonesOfA().length - 20);
      const stays = visitsOfA().filter((v) => seesVisit(p, v)).length;
      expect(stays).toBeGreaterThan(20);
      expect(stays).toBeLessThan(visitsOfA().length - 20);
    }
  });

  describe.each(Object.entries(restricted))('a %s principal', (_, { header, principal: p }) => {
    it('lists exactly the live zones decide allows, with and without a bbox', async () => {
      const bbox: Bbox = [8, 47, 10, 49.5];
      const touches = (z: Zone): boolean =>
        z.lon <= bbox[2] && z.lon + z.size >= bbox[0] && z.lat <= bbox[3] && z.lat + z.size >= bbox[1];
      for (const box of [undefined, bbox]) {
        const ids = await pages(
          (after) => list.list(request(tenants.a, { limit: 23, ...(box ? { bbox: box } : {}), after }, header)),
          (r) => ZonePage.parse(r),
        );
        const expected = zonesOfA().filter((z) => !z.archived && seesZone(p, z) && (!box || touches(z)));
        expect(ids.map((f) => f.id)).toEqual(expected.map((z) => z.id).sort());
      }
    });

    it('gets an allowed zone (archived too), and any other as ZONE.NOT_FOUND', async () => {
      for (const z of zonesOfA().slice(0, 60)) {
        const asked = get.get(request(tenants.a, { zoneId: z.id }, header));
        if (seesZone(p, z)) await expect(asked.then(resultOf)).resolves.toMatchObject({ id: z.id });
        else await expect(asked).rejects.toMatchObject({ code: ZoneErrors.zoneNotFound });
      }
    });

    it("lists a zone's and an asset's stays and the assets inside: those whose zone and asset it sees", async () => {
      const key = (v: { enteredAt: string }, id: string) => `${v.enteredAt}|${id}`;
      for (const z of zonesOfA().slice(0, 40)) {
        const got = await pages(
          (after) => zoneVisits.visits(request(tenants.a, { zoneId: z.id, limit: 2, after }, header)),
          (r) => ZoneVisitPage.parse(r),
        );
        const expected = visitsOfA()
          .filter((v) => v.zone === z && seesVisit(p, v))
          .sort(byKey((v) => key(v, v.asset.id)));
        expect(got.map((v) => key(v, v.assetId))).toEqual(expected.map((v) => key(v, v.asset.id)));

        const current = await pages(
          (after) => inside.inside(request(tenants.a, { zoneId: z.id, limit: 2, after }, header)),
          (r) => ZoneVisitPage.parse(r),
        );
        const open = expected.filter((v) => v.exitedAt === null).map((v) => v.asset.id);
        expect(current.map((v) => v.assetId)).toEqual(open.sort());
      }
      for (const a of assets.filter((x) => x.tenantId === tenants.a).slice(0, 25)) {
        const got = await pages(
          (after) => assetVisits.visits(request(tenants.a, { assetId: a.id, limit: 3, after }, header)),
          (r) => ZoneVisitPage.parse(r),
        );
        const expected = visitsOfA()
          .filter((v) => v.asset === a && seesVisit(p, v))
          .sort(byKey((v) => key(v, v.zone.id)));
        expect(got.map((v) => key(v, v.zoneId))).toEqual(expected.map((v) => key(v, v.zone.id)));
      }
    });
  });

  it("shows another tenant's principal nothing of this tenant", async () => {
    const theirs = principal(tenants.b);
    const listed = await pages(
      (after) => list.list(request(tenants.b, { limit: 100, after }, theirs.header)),
      (r) => ZonePage.parse(r),
    );
    const live = zones.filter((z) => z.tenantId === tenants.b && !z.archived).map((z) => z.id);
    expect(listed.map((z) => z.id)).toEqual(live.sort());
    const mine = zonesOfA()[0];
    await expect(get.get(request(tenants.b, { zoneId: mine.id }, theirs.header))).rejects.toMatchObject({
      code: ZoneErrors.zoneNotFound,
    });
    const stays = resultOf(await zoneVisits.visits(request(tenants.b, { zoneId: mine.id, limit: 100 }, theirs.header)));
    expect(ZoneVisitPage.parse(stays).items).toEqual([]);
  });

  it('refuses a request without a principal header (AUTH.PRINCIPAL_UNKNOWN) on every handler', async () => {
    const zoneId = zones[0].id;
    for (const refused of [
      list.list(request(tenants.a, { limit: 10 }, null)),
      get.get(request(tenants.a, { zoneId }, null)),
      zoneVisits.visits(request(tenants.a, { zoneId, limit: 10 }, null)),
      assetVisits.visits(request(tenants.a, { assetId: assets[0].id, limit: 10 }, null)),
      inside.inside(request(tenants.a, { zoneId, limit: 10 }, null)),
    ]) {
      await expect(refused).rejects.toMatchObject({ code: AuthErrors.principalUnknown });
    }
  });
});
