import { randomBytes, randomUUID } from 'node:crypto';
import type { Pool } from 'pg';
import type { DataSource } from 'typeorm';
import { afterAll, beforeAll, describe, expect, it } from '@jest/globals';
import { type Envelope, QueryReplyV1 } from '@meridian/contracts/core';
import { AuthErrors, type Principal, requirePrincipal } from '@meridian/contracts/identity';
import {
  type OgcBbox,
  type OgcCollectionId,
  type OgcDatetime,
  OgcErrors,
  OgcExtents,
  OgcItemsPage,
} from '@meridian/contracts/ogc';
import { createReadModelDataSource, migrateReadModel, poolOf } from '@meridian/read-model/data-source';
import { PositionsWriter } from '@meridian/read-model/positions';
import type { ReplyBody } from '@meridian/shared/messaging';
import { decide, type Permission, type PolicyResource } from '@meridian/shared/policy';
import { seededRandom, testDatabaseUrl } from '@meridian/shared/testing';
import { testPrincipal } from '@meridian/shared/testing';
import { OgcCollectionsHandler } from './collections/ogc-collections.handler';
import { OgcFeatureHandler } from './feature/ogc-feature.handler';
import { OgcItemsHandler } from './items/ogc-items.handler';
import { OgcReads } from './ogc-reads';

/*
 * OGC API – Features items, single features and extents on the real handlers, for principals the
 * policy restricts: each page holds exactly the features `decide` allows, computed here over the
 * inserted rows, and `numberMatched` counts those only.
 */

const run = randomBytes(3).toString('hex');
const tenants = { a: `ogf${run}-a`, b: `ogf${run}-b` };
const TEAMS = [null, 'red', 'blue'] as const;
const DAY0 = Date.UTC(2024, 4, 3);
const HOUR = 3_600_000;

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
/** A feature of a collection as the policy reads it, with its id and what the filters below need. */
interface Row extends Attributes {
  readonly id: string;
  readonly location: PolicyResource['location'];
  /** A point, or a square's south-west corner. */
  readonly lon: number;
  readonly lat: number;
  /** Positions: the fix's time. */
  readonly t?: number;
}

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

const permissionOf: Record<OgcCollectionId, Permission> = {
  assets: 'assets:read',
  zones: 'zones:read',
  positions: 'positions:read',
};

describe('OGC collections filtered by the principal (items, numberMatched, feature, extents; real PostGIS)', () => {
  let dataSource: DataSource;
  let pool: Pool;
  let items: OgcItemsHandler;
  let feature: OgcFeatureHandler;
  let collections: OgcCollectionsHandler;
  const rows: Record<OgcCollectionId, Row[]> = { assets: [], zones: [], positions: [] };
  const now = new Date();

  const sees = (p: Principal, c: OgcCollectionId, r: Row): boolean => decide(p, permissionOf[c], r, now).allow;

  /** Every page of `collection` for `header`, with the numberMatched of each page. */
  async function all(tenantId: string, header: string, collection: OgcCollectionId, filter = {}) {
    const ids: string[] = [];
    const matched: (number | null)[] = [];
    let after: string | undefined;
    for (let n = 0; n < 200; n++) {
      const data = { collection, limit: 41, direction: 'next' as const, ...filter, ...(after ? { after } : {}) };
      const page = OgcItemsPage.parse(resultOf(await items.items(request(tenantId, data, header))));
      ids.push(...page.items.map((f) => String(f.id)));
      matched.push(page.numberMatched);
      if (page.after === null) return { ids, matched };
      after = page.after;
    }
    throw new Error('paging does not end');
  }

  beforeAll(async () => {
    dataSource = await createReadModelDataSource({ url: testDatabaseUrl(), poolSize: 4 }).initialize();
    await migrateReadModel(dataSource);
    pool = poolOf(dataSource);
    const reads = new OgcReads(pool);
    items = new OgcItemsHandler(reads);
    feature = new OgcFeatureHandler(reads);
    collections = new OgcCollectionsHandler(reads);

    const random = seededRandom(2718);
    const attributes = (tenantId: string): Attributes => ({
      tenantId,
      sensitivity: Math.floor(random() * 5),
      team: TEAMS[Math.floor(random() * TEAMS.length)],
    });
    const fixes: { tenantId: string; assetId: string; ts: string; lon: number; lat: number }[] = [];
    for (const [tenantId, n] of [
      [tenants.a, 150],
      [tenants.b, 40],
    ] as const) {
      for (let i = 0; i < n; i++) {
        const asset = { id: randomUUID(), ...attributes(tenantId) };
        // Three fixes an hour apart; the last is the asset's latest position.
        let last = { lon: 0, lat: 0 };
        for (let h = 0; h < 3; h++) {
          last = { lon: 8 + random() * 4, lat: 47 + random() * 4 };
          const t = DAY0 + h * HOUR + i * 1000;
          const location = { type: 'Point' as const, coordinates: [last.lon, last.lat] };
          rows.positions.push({ ...asset, ...last, t, location, id: `${asset.id}~${t * 1000}` });
          fixes.push({ tenantId, assetId: asset.id, ts: new Date(t).toISOString(), ...last });
        }
        const location = { type: 'Point' as const, coordinates: [last.lon, last.lat] };
        rows.assets.push({ ...asset, ...last, location });
      }
      for (let i = 0; i < n / 2; i++) {
        const [lon, lat] = [8 + random() * 3.7, 47 + random() * 3.7];
        const ring = [
          [lon, lat],
          [lon + 0.3, lat],
          [lon + 0.3, lat + 0.3],
          [lon, lat + 0.3],
          [lon, lat],
        ];
        rows.zones.push({
          id: randomUUID(),
          ...attributes(tenantId),
          lon,
          lat,
          location: { type: 'Polygon', coordinates: [ring] },
        });
      }
    }
    const assets = rows.assets;
    await pool.query(
      `INSERT INTO read.asset_latest (asset_id, tenant_id, name, kind, status, version, sensitivity, team)
       SELECT a, t, 'asset ' || a, 'vehicle', 'available', 1, s, team
       FROM unnest($1::uuid[], $2::text[], $3::smallint[], $4::text[]) AS r(a, t, s, team)`,
      [
        assets.map((a) => a.id),
        assets.map((a) => a.tenantId),
        assets.map((a) => a.sensitivity),
        assets.map((a) => a.team),
      ],
    );
    await new PositionsWriter(pool, [5, 7]).write(fixes.sort((x, y) => Date.parse(x.ts) - Date.parse(y.ts)));
    const zones = rows.zones;
    await pool.query(
      `INSERT INTO read.zones (zone_id, tenant_id, name, kind, geom, sensitivity, team, version, created_at, updated_at)
       SELECT z, t, 'zone', 'geofence', ST_MakeEnvelope(x, y, x + 0.3, y + 0.3, 4326), s, team, 1, now(), now()
       FROM unnest($1::uuid[], $2::text[], $3::float8[], $4::float8[], $5::smallint[], $6::text[])
         AS r(z, t, x, y, s, team)`,
      [
        zones.map((z) => z.id),
        zones.map((z) => z.tenantId),
        zones.map((z) => z.lon),
        zones.map((z) => z.lat),
        zones.map((z) => z.sensitivity),
        zones.map((z) => z.team),
      ],
    );
  }, 60_000);

  afterAll(async () => {
    for (const table of ['positions', 'position_cells', 'asset_latest', 'zones']) {
      await pool?.query(`DELETE FROM read.${table} WHERE tenant_id LIKE $1`, [`ogf${run}-%`]);
    }
    await dataSource?.destroy();
  });

  const ofA = (c: OgcCollectionId): Row[] => rows[c].filter((r) => r.tenantId === tenants.a);
  it('the principals are restricted and see something: not vacuous', () => {
    for (const { principal: p } of Object.values(restricted)) {
      for (const c of ['assets', 'zones', 'positions'] as const) {
        const seen = ofA(c).filter((r) => sees(p, c, r)).length;
        expect(seen).toBeGreaterThan(ofA(c).length * 0.15);
        expect(seen).toBeLessThan(ofA(c).length * 0.85);
      }
    }
  });

  describe.each(Object.entries(restricted))('a %s principal', (_, { header, principal: p }) => {
    it.each(['assets', 'zones', 'positions'] as const)(
      'pages %s: exactly the features decide allows, numberMatched counting only those',
      async (c) => {
        const expected = ofA(c).filter((r) => sees(p, c, r));
        const { ids, matched } = await all(tenants.a, header, c);
        expect(ids).toEqual(collectionOrder(c, expected));
        expect(matched.every((n) => n === expected.length)).toBe(true);
      },
    );

    it('filters by bbox and datetime on top of the principal', async () => {
      const bbox: OgcBbox = [[8, 47, 10, 49]];
      const datetime: OgcDatetime = { start: new Date(DAY0 + HOUR).toISOString(), end: null };
      const inBox = (r: Row): boolean => r.lon >= 8 && r.lon <= 10 && r.lat >= 47 && r.lat <= 49;
      const expected = ofA('positions').filter((r) => sees(p, 'positions', r) && inBox(r) && (r.t ?? 0) >= DAY0 + HOUR);
      const { ids, matched } = await all(tenants.a, header, 'positions', { bbox, datetime });
      expect(ids).toEqual(collectionOrder('positions', expected));
      expect(matched[0]).toBe(expected.length);
    });

    it('answers a single feature it may see, and any other as OGC.FEATURE_NOT_FOUND', async () => {
      for (const c of ['assets', 'zones', 'positions'] as const) {
        for (const r of ofA(c).slice(0, 30)) {
          const asked = feature.feature(request(tenants.a, { collection: c, featureId: r.id }, header));
          if (sees(p, c, r)) await expect(asked.then(resultOf)).resolves.toMatchObject({ id: r.id });
          else await expect(asked).rejects.toMatchObject({ code: OgcErrors.featureNotFound });
        }
      }
    });

    it('states the extents of what it may see', async () => {
      const { collections: extents } = OgcExtents.parse(
        resultOf(await collections.collections(request(tenants.a, {}, header))),
      );
      const byId = Object.fromEntries(extents.map((e) => [e.id, e]));
      const seen = ofA('assets').filter((r) => sees(p, 'assets', r));
      const box = [
        Math.min(...seen.map((r) => r.lon)),
        Math.min(...seen.map((r) => r.lat)),
        Math.max(...seen.map((r) => r.lon)),
        Math.max(...seen.map((r) => r.lat)),
      ];
      (byId['assets'].bbox ?? []).forEach((v, i) => expect(v).toBeCloseTo(box[i], 5));
      const zones = ofA('zones').filter((r) => sees(p, 'zones', r));
      expect(byId['zones'].bbox?.[0]).toBeCloseTo(Math.min(...zones.map((r) => r.lon)), 5);
      expect(byId['zones'].bbox?.[3]).toBeCloseTo(Math.max(...zones.map((r) => r.lat)) + 0.3, 5);
    });
  });

  it("shows another tenant's principal nothing of this tenant", async () => {
    const theirs = principal(tenants.b);
    for (const c of ['assets', 'zones', 'positions'] as const) {
      const { ids, matched } = await all(tenants.b, theirs.header, c);
      const expected = rows[c].filter((r) => r.tenantId === tenants.b);
      expect(ids).toEqual(collectionOrder(c, expected));
      expect(matched[0]).toBe(expected.length);
      const mine = ofA(c)[0];
      await expect(
        feature.feature(request(tenants.b, { collection: c, featureId: mine.id }, theirs.header)),
      ).rejects.toMatchObject({ code: OgcErrors.featureNotFound });
    }
  });

  it('refuses a request without a principal header (AUTH.PRINCIPAL_UNKNOWN)', async () => {
    for (const refused of [
      items.items(request(tenants.a, { collection: 'assets' as const, limit: 10, direction: 'next' as const }, null)),
      feature.feature(request(tenants.a, { collection: 'zones' as const, featureId: ofA('zones')[0].id }, null)),
      collections.collections(request(tenants.a, {}, null)),
    ]) {
      await expect(refused).rejects.toMatchObject({ code: AuthErrors.principalUnknown });
    }
  });
});

/** The ids in the collection's order: positions by asset then time (the feature id's order), others by id. */
function collectionOrder(c: OgcCollectionId, chosen: readonly Row[]): string[] {
  const key = (r: Row): [string, number] => (c === 'positions' ? [r.id.split('~')[0], r.t ?? 0] : [r.id, 0]);
  return [...chosen]
    .sort((x, y) => {
      const [a, s] = key(x);
      const [b, t] = key(y);
      return a < b ? -1 : a > b ? 1 : s - t;
    })
    .map((r) => r.id);
}
