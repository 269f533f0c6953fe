import { randomBytes, randomUUID } from 'node:crypto';
import { cellToLatLng, cellToParent, latLngToCell } from 'h3-js';
import type { Pool } from 'pg';
import type { DataSource } from 'typeorm';
import { afterAll, beforeAll, describe, expect, it } from '@jest/globals';
import { PositionQueryErrors } from '@meridian/contracts/assets';
import type { DataOf, Envelope } from '@meridian/contracts/core';
import { AuthErrors, type Principal, requirePrincipal } from '@meridian/contracts/identity';
import type { GetTileV1, TileLayer } from '@meridian/contracts/tiles';
import { createReadModelDataSource, migrateReadModel, poolOf } from '@meridian/read-model/data-source';
import { PositionQueries, PositionsWriter } from '@meridian/read-model/positions';
import { TileQueries, tileBounds } from '@meridian/read-model/tiles';
import { decide, type Permission, type PolicyResource } from '@meridian/shared/policy';
import { type MvtLayer, readMvt, seededRandom, testDatabaseUrl } from '@meridian/shared/testing';
import { testPrincipal } from '@meridian/shared/testing';
import { GetTileHandler } from './get-tile.handler';

/*
 * Vector tiles on the real handler, for principals the policy restricts: each layer holds exactly
 * the rows `decide` allows, computed here over the inserted rows; positions aggregated per H3 cell
 * (below the aggregation zoom) count only the fixes it allows.
 */

const run = randomBytes(3).toString('hex');
const tenants = { a: `gqt${run}-fa`, b: `gqt${run}-fb` };
const TEAMS = [null, 'red', 'blue'] as const;
const RESOLUTIONS = [5, 7];
/** The zoom-4 tile holding the whole area [8, 47, 12, 51]: positions there are aggregated at resolution 4. */
const TILE = { z: 4, x: 8, y: 5 };
const HOUR = Date.UTC(2024, 4, 2, 10);
/** Not whole hours: a restricted principal's counts are of this exact window, the hourly counts' of 10:00–11:00. */
const window = { from: new Date(HOUR + 7 * 60_000).toISOString(), to: new Date(HOUR + 52 * 60_000).toISOString() };
const roomy = { maxFeatures: 50_000, maxBytes: 640 * 1024 };

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
interface Asset extends Attributes {
  readonly id: string;
  readonly registered: boolean;
  readonly lon: number;
  readonly lat: number;
}
interface Fix {
  readonly asset: Asset;
  readonly t: number;
  readonly lon: number;
  readonly lat: number;
}
interface Zone extends Attributes {
  readonly id: string;
  readonly lon: number;
  readonly lat: number;
  readonly size: number;
  readonly archived: boolean;
}

const request = (
  tenantId: string,
  data: DataOf<typeof GetTileV1>,
  header: string | null,
): Envelope<DataOf<typeof GetTileV1>> => ({
  id: randomUUID(),
  type: 'meridian.geo-query.tile.get.v1',
  source: '/meridian/gateway',
  time: new Date().toISOString(),
  data,
  correlationId: randomUUID(),
  tenantId,
  ...(header === null ? {} : { principal: header }),
});

const point = (lon: number, lat: number) => ({ type: 'Point' as const, coordinates: [lon, lat] });
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

describe('tiles filtered by the principal (assets, positions, aggregated positions, zones; real PostGIS)', () => {
  let dataSource: DataSource;
  let pool: Pool;
  /** Positions below zoom 10 aggregated; `raw` never aggregates; `capped` counts at most 10 fixes. */
  let aggregating: GetTileHandler;
  let raw: GetTileHandler;
  let capped: GetTileHandler;
  const assets: Asset[] = [];
  const fixes: Fix[] = [];
  const zones: Zone[] = [];
  const now = new Date();

  const allows = (p: Principal, permission: Permission, resource: PolicyResource): boolean =>
    decide(p, permission, resource, now).allow;
  const seesFix = (p: Principal, f: Fix): boolean =>
    allows(p, 'positions:read', { ...f.asset, location: point(f.lon, f.lat) });
  const inWindow = (f: Fix): boolean => f.t >= Date.parse(window.from) && f.t < Date.parse(window.to);

  const tileOf = async (handler: GetTileHandler, layer: TileLayer, tenantId: string, header: string | null) => {
    const data = { layer, ...TILE, ...(layer === 'positions' ? window : {}) };
    const body = await handler.get(request(tenantId, data, header));
    return readMvt(body.data as Buffer);
  };
  const ids = (layer: MvtLayer | undefined, key = 'id'): string[] =>
    (layer?.features ?? []).map((f) => String(f.properties[key])).sort();
  /** Fix counts per resolution-4 cell (the parent of its resolution-5 cell) whose centre is in the tile. */
  function cells(chosen: readonly Fix[]): Map<string, number> {
    const [w, s, e, n] = tileBounds(TILE.z, TILE.x, TILE.y);
    const counts = new Map<string, number>();
    for (const f of chosen) {
      const cell = cellToParent(latLngToCell(f.lat, f.lon, 5), 4);
      const [lat, lon] = cellToLatLng(cell);
      if (lon >= w && lon <= e && lat >= s && lat <= n) counts.set(cell, (counts.get(cell) ?? 0) + 1);
    }
    return counts;
  }
  const countsOf = (layer: MvtLayer | undefined): Map<string, number> =>
    new Map((layer?.features ?? []).map((f) => [String(f.properties['cell']), Number(f.properties['count'])]));

  beforeAll(async () => {
    dataSource = await createReadModelDataSource({ url: testDatabaseUrl(), poolSize: 4 }).initialize();
    await migrateReadModel(dataSource);
    pool = poolOf(dataSource);
    const counter = (maxHeatmapFixes: number) =>
      new PositionQueries(
        pool,
        { maxTrackVertices: 1000, maxHeatmapCells: 10_000, maxHeatmapFixes, codes: PositionQueryErrors },
        RESOLUTIONS,
      );
    const tiles = (maxHeatmapFixes: number, belowZoom: number) =>
      new GetTileHandler(
        new TileQueries(pool, { counter: counter(maxHeatmapFixes), resolutions: RESOLUTIONS, belowZoom }),
        roomy,
      );
    aggregating = tiles(100_000, 10);
    raw = tiles(100_000, 0);
    capped = tiles(10, 10);

    const random = seededRandom(31337);
    const attributes = (tenantId: string): Attributes => ({
      tenantId,
      sensitivity: Math.floor(random() * 5),
      team: TEAMS[Math.floor(random() * TEAMS.length)],
    });
    const inArea = (): [number, number] => [8 + random() * 4, 47 + random() * 4];
    for (const [tenantId, n] of [
      [tenants.a, 300],
      [tenants.b, 60],
    ] as const) {
      for (let i = 0; i < n; i++) {
        const [lon, lat] = inArea();
        const asset = { id: randomUUID(), ...attributes(tenantId), registered: i % 25 !== 24, lon, lat };
        assets.push(asset);
        for (let k = 0; k < 4; k++) {
          const [fLon, fLat] = inArea();
          // 09:30–11:30: some fixes outside the window, some outside its whole hours.
          fixes.push({ asset, t: HOUR - 1_800_000 + Math.floor(random() * 7_200_000), lon: fLon, lat: fLat });
        }
      }
      for (let i = 0; i < n / 3; i++) {
        const [lon, lat] = inArea();
        zones.push({ id: randomUUID(), ...attributes(tenantId), lon, lat, size: 0.3, archived: i % 10 === 9 });
      }
    }
    await pool.query(
      `INSERT INTO read.asset_latest (asset_id, tenant_id, name, kind, status, version, geom, ts, sensitivity, team)
       SELECT a, t, CASE WHEN reg THEN 'asset ' || a END, 'drone', 'available', 1,
         ST_SetSRID(ST_MakePoint(lon, lat), 4326), now(), s, team
       FROM unnest($1::uuid[], $2::text[], $3::bool[], $4::float8[], $5::float8[], $6::smallint[], $7::text[])
         AS r(a, t, reg, lon, lat, s, team)`,
      [
        assets.map((a) => a.id),
        assets.map((a) => a.tenantId),
        assets.map((a) => a.registered),
        assets.map((a) => a.lon),
        assets.map((a) => a.lat),
        assets.map((a) => a.sensitivity),
        assets.map((a) => a.team),
      ],
    );
    await new PositionsWriter(pool, RESOLUTIONS).write(
      [...fixes]
        .sort((x, y) => x.t - y.t)
        .map((f) => ({
          tenantId: f.asset.tenantId,
          assetId: f.asset.id,
          ts: new Date(f.t).toISOString(),
          lon: f.lon,
          lat: f.lat,
        })),
    );
    // The writer moved each asset to its newest fix: the assets layer shows that.
    const { rows } = await pool.query<{ asset_id: string; lon: number; lat: number }>(
      `SELECT asset_id, ST_X(geom) AS lon, ST_Y(geom) AS lat FROM read.asset_latest WHERE tenant_id LIKE $1`,
      [`gqt${run}-%`],
    );
    const latest = new Map(rows.map((r) => [r.asset_id, r]));
    assets.forEach((a, i) => {
      const at = latest.get(a.id);
      if (at) assets[i] = { ...a, lon: at.lon, lat: at.lat };
    });
    await pool.query(
      `INSERT INTO read.zones (zone_id, tenant_id, name, kind, geom, sensitivity, team, version, created_at, updated_at,
         archived_at)
       SELECT z, t, 'zone', 'geofence', ST_MakeEnvelope(x, y, x + d, y + d, 4326), s, team, 1, now(), now(),
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
  }, 60_000);

  afterAll(async () => {
    for (const table of ['positions', 'position_cells', 'asset_latest', 'zones']) {
      await pool?.query(`DELETE FROM read.${table} WHERE tenant_id LIKE $1`, [`gqt${run}-%`]);
    }
    await dataSource?.destroy();
  });

  const ofA = <T extends { tenantId: string }>(rows: readonly T[]): T[] => rows.filter((r) => r.tenantId === tenants.a);
  const fixesOfA = (): Fix[] => fixes.filter((f) => f.asset.tenantId === tenants.a && inWindow(f));

  it('the principals are restricted and see something: not vacuous', () => {
    for (const { principal: p } of Object.values(restricted)) {
      const seen = fixesOfA().filter((f) => seesFix(p, f)).length;
      expect(seen).toBeGreaterThan(fixesOfA().length * 0.15);
      expect(seen).toBeLessThan(fixesOfA().length * 0.85);
    }
  });

  describe.each(Object.entries(restricted))('a %s principal', (_, { header, principal: p }) => {
    it('assets and zones layers hold exactly the assets and live zones decide allows', async () => {
      const expectedAssets = ofA(assets).filter(
        (a) => a.registered && allows(p, 'assets:read', { ...a, location: point(a.lon, a.lat) }),
      );
      expect(ids((await tileOf(aggregating, 'assets', tenants.a, header))['assets'])).toEqual(
        expectedAssets.map((a) => a.id).sort(),
      );
      const expectedZones = ofA(zones).filter(
        (z) => !z.archived && allows(p, 'zones:read', { ...z, location: square(z) }),
      );
      expect(ids((await tileOf(aggregating, 'zones', tenants.a, header))['zones'])).toEqual(
        expectedZones.map((z) => z.id).sort(),
      );
    });

    it('a positions tile of fixes holds exactly the fixes of the window decide allows', async () => {
      const layers = await tileOf(raw, 'positions', tenants.a, header);
      const got = (layers['positions']?.features ?? []).map((f) => `${f.properties['asset_id']}@${f.properties['ts']}`);
      const expected = fixesOfA()
        .filter((f) => seesFix(p, f))
        .map((f) => `${f.asset.id}@${f.t}`);
      expect(got.sort()).toEqual(expected.sort());
    });

    it('an aggregated positions tile counts only the allowed fixes, over the exact window', async () => {
      const layers = await tileOf(aggregating, 'positions', tenants.a, header);
      expect(countsOf(layers['positions'])).toEqual(cells(fixesOfA().filter((f) => seesFix(p, f))));
      expect(layers['meta'].features.map((f) => f.properties)).toEqual([
        { layer: 'positions', aggregated: true, resolution: 4n, ...window },
      ]);
    });

    it('past the count cap, the tile holds the allowed fixes themselves rather than unfiltered counts', async () => {
      const layers = await tileOf(capped, 'positions', tenants.a, header);
      expect(layers['meta']).toBeUndefined();
      const got = (layers['positions']?.features ?? []).map((f) => String(f.properties['asset_id']));
      expect(got.sort()).toEqual(
        fixesOfA()
          .filter((f) => seesFix(p, f))
          .map((f) => f.asset.id)
          .sort(),
      );
    });
  });

  it('an unrestricted principal gets the hourly counts of the whole hours', async () => {
    const admin = principal(tenants.a);
    const layers = await tileOf(aggregating, 'positions', tenants.a, admin.header);
    const hours = fixes.filter((f) => f.asset.tenantId === tenants.a && f.t >= HOUR && f.t < HOUR + 3_600_000);
    expect(countsOf(layers['positions'])).toEqual(cells(hours));
    expect(layers['meta'].features[0].properties).toMatchObject({
      from: new Date(HOUR).toISOString(),
      to: new Date(HOUR + 3_600_000).toISOString(),
    });
  });

  it("shows another tenant's principal nothing of this tenant", async () => {
    const theirs = principal(tenants.b);
    const mine = new Set([...ofA(assets).map((a) => a.id), ...ofA(zones).map((z) => z.id)]);
    for (const layer of ['assets', 'zones'] as const) {
      const got = ids((await tileOf(aggregating, layer, tenants.b, theirs.header))[layer]);
      expect(got.length).toBeGreaterThan(0);
      expect(got.filter((id) => mine.has(id))).toEqual([]);
    }
    const fixLayer = (await tileOf(raw, 'positions', tenants.b, theirs.header))['positions'];
    expect(ids(fixLayer, 'asset_id').filter((id) => mine.has(id))).toEqual([]);
    const theirFixes = fixes.filter((f) => f.asset.tenantId === tenants.b && inWindow(f));
    expect(fixLayer?.features.length).toBe(theirFixes.length);
  });

  it('refuses a request without a principal header (AUTH.PRINCIPAL_UNKNOWN)', async () => {
    for (const layer of ['assets', 'positions', 'zones'] as const) {
      await expect(tileOf(aggregating, layer, tenants.a, null)).rejects.toMatchObject({
        code: AuthErrors.principalUnknown,
      });
    }
  });
});
