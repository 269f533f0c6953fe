import { randomBytes, randomUUID } from 'node:crypto';
import { cellToLatLng, cellToParent, latLngToCell } from 'h3-js';
import type { Pool } from 'pg';
import type { DataSource } from 'typeorm';
import { afterAll, beforeAll, describe, expect, it } from '@jest/globals';
import { AssetErrors, AssetPage, Heatmap, PositionQueryErrors, TrackFeature } from '@meridian/contracts/assets';
import { type Bbox, type Envelope, QueryReplyV1 } from '@meridian/contracts/core';
import { AuthErrors, type Principal, requirePrincipal } from '@meridian/contracts/identity';
import { AssetQueries } from '@meridian/read-model/assets';
import { createReadModelDataSource, migrateReadModel, poolOf } from '@meridian/read-model/data-source';
import { type PositionQueryLimits, PositionQueries, PositionsWriter } from '@meridian/read-model/positions';
import type { ReplyBody } from '@meridian/shared/messaging';
import { decide } from '@meridian/shared/policy';
import { seededRandom, testDatabaseUrl } from '@meridian/shared/testing';
import { testPrincipal } from '@meridian/shared/testing';
import { AssetTrackHandler } from './asset-track/asset-track.handler';
import { AssetsAtHandler } from './assets-at/assets-at.handler';
import { HeatmapHandler } from './heatmap/heatmap.handler';

/*
 * Where-at-T, tracks and heatmaps on real handlers, for principals the policy restricts: each sees
 * exactly the fixes `decide` allows (a fix: its own point, its asset's sensitivity and team),
 * computed here over the inserted fixes — the SQL row filter and the in-process decision agree.
 */

const run = randomBytes(3).toString('hex');
const tenants = { a: `gqp${run}-a`, b: `gqp${run}-b` };
const RESOLUTIONS = [5, 7];
const TEAMS = [null, 'red', 'blue'] as const;
/** 2024-05-01 10:00Z: 60 fixes a minute apart per asset. */
const START = Date.UTC(2024, 4, 1, 10);
const MINUTE = 60_000;
const STEPS = 60;
const window = { from: new Date(START).toISOString(), to: new Date(START + STEPS * MINUTE).toISOString() };
const limits: PositionQueryLimits = {
  maxTrackVertices: 10_000,
  maxHeatmapCells: 10_000,
  maxHeatmapFixes: 100_000,
  codes: PositionQueryErrors,
};

/** West of the line from (8.5, 47) to (10.5, 49): about half of the area the assets wander in. */
const westHalf: NonNullable<Principal['region']> = {
  type: 'Polygon',
  coordinates: [
    [
      [7, 46],
      [8.5, 46],
      [10.5, 50],
      [7, 50],
      [7, 46],
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

interface Asset {
  readonly id: string;
  readonly tenantId: string;
  readonly sensitivity: number;
  readonly team: string | null;
}
interface Fix {
  readonly asset: Asset;
  readonly t: number;
  readonly lon: number;
  readonly lat: number;
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

const inBbox = (lon: number, lat: number, [w, s, e, n]: Bbox): boolean => lon >= w && lon <= e && lat >= s && lat <= n;

describe('position queries filtered by the principal (at, track, heatmap; real PostGIS)', () => {
  let dataSource: DataSource;
  let pool: Pool;
  let at: AssetsAtHandler;
  let track: AssetTrackHandler;
  let heatmap: HeatmapHandler;
  const assets: Asset[] = [];
  const fixes: Fix[] = [];
  const now = new Date();

  /** `decide` on a fix: its own point, its asset's attributes. */
  const sees = (p: Principal, f: Fix): boolean =>
    decide(
      p,
      'positions:read',
      {
        tenantId: f.asset.tenantId,
        location: { type: 'Point', coordinates: [f.lon, f.lat] },
        sensitivity: f.asset.sensitivity,
        team: f.asset.team,
      },
      now,
    ).allow;
  const fixesOf = (tenantId: string): Fix[] => fixes.filter((f) => f.asset.tenantId === tenantId);

  beforeAll(async () => {
    dataSource = await createReadModelDataSource({ url: testDatabaseUrl(), poolSize: 4 }).initialize();
    await migrateReadModel(dataSource);
    pool = poolOf(dataSource);
    const queries = new PositionQueries(pool, limits, RESOLUTIONS);
    at = new AssetsAtHandler(queries);
    track = new AssetTrackHandler(queries, new AssetQueries(pool));
    heatmap = new HeatmapHandler(queries);

    const random = seededRandom(4242);
    for (const [tenantId, n] of [
      [tenants.a, 120],
      [tenants.b, 30],
    ] as const) {
      for (let i = 0; i < n; i++) {
        const asset = {
          id: randomUUID(),
          tenantId,
          sensitivity: Math.floor(random() * 5),
          team: TEAMS[Math.floor(random() * TEAMS.length)],
        };
        assets.push(asset);
        // A walk across the area: many tracks cross the region's edge.
        let lon = 8 + random() * 3;
        let lat = 47 + random() * 2;
        const dLon = (random() - 0.5) * 0.04;
        const dLat = (random() - 0.5) * 0.03;
        for (let s = 0; s < STEPS; s++) {
          lon += dLon + (random() - 0.5) * 0.005;
          lat += dLat + (random() - 0.5) * 0.005;
          fixes.push({ asset, t: START + s * MINUTE, lon, lat });
        }
      }
    }
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
    const writer = new PositionsWriter(pool, RESOLUTIONS);
    const stream = [...fixes].sort((x, y) => x.t - y.t);
    for (let i = 0; i < stream.length; i += 2000) {
      await writer.write(
        stream.slice(i, i + 2000).map((f) => ({
          tenantId: f.asset.tenantId,
          assetId: f.asset.id,
          ts: new Date(f.t).toISOString(),
          lon: f.lon,
          lat: f.lat,
        })),
      );
    }
    await pool.query('ANALYZE read.positions');
  }, 60_000);

  afterAll(async () => {
    await pool?.query(`DELETE FROM read.positions WHERE tenant_id LIKE $1`, [`gqp${run}-%`]);
    await pool?.query(`DELETE FROM read.position_cells WHERE tenant_id LIKE $1`, [`gqp${run}-%`]);
    await pool?.query(`DELETE FROM read.asset_latest WHERE tenant_id LIKE $1`, [`gqp${run}-%`]);
    await dataSource?.destroy();
  });

  it('the principals are restricted and see something: not vacuous', () => {
    const all = fixesOf(tenants.a);
    for (const { principal: p } of Object.values(restricted)) {
      const seen = all.filter((f) => sees(p, f)).length;
      expect(seen).toBeGreaterThan(all.length * 0.15);
      expect(seen).toBeLessThan(all.length * 0.85);
    }
  });

  describe.each(Object.entries(restricted))('a %s principal', (_, { header, principal: p }) => {
    /** Each asset's last fix in `(t − maxAge, t]`, if `decide` allows it (and it lies in `bbox`). */
    function expectedAt(t: number, maxAgeSeconds: number, bbox?: Bbox): string[] {
      const last = new Map<string, Fix>();
      for (const f of fixesOf(tenants.a)) {
        if (f.t <= t && f.t > t - maxAgeSeconds * 1000) last.set(f.asset.id, f);
      }
      return [...last.values()]
        .filter((f) => sees(p, f) && (!bbox || inBbox(f.lon, f.lat, bbox)))
        .map((f) => f.asset.id)
        .sort();
    }

    it.each([
      { name: 'from the fixes of a short window', maxAge: 600, bbox: undefined },
      { name: 'asset by asset over a long window', maxAge: 7200, bbox: undefined },
      { name: 'inside a bbox', maxAge: 600, bbox: [8.5, 47, 10.5, 49] as Bbox },
    ])('where-at-T answers the assets whose fix at T decide allows ($name)', async ({ maxAge, bbox }) => {
      const t = START + 40 * MINUTE + 30_000;
      const ids: string[] = [];
      let after: string | undefined;
      do {
        const data = { at: new Date(t).toISOString(), maxAgeSeconds: maxAge, limit: 33, bbox, after };
        const page = AssetPage.parse(resultOf(await at.at(request(tenants.a, data, header))));
        ids.push(...page.items.map((f) => f.id));
        after = page.after ?? undefined;
      } while (after);
      expect(ids).toEqual(expectedAt(t, maxAge, bbox));
    });

    it('a track holds exactly the allowed fixes; an asset whose attributes hide it is ASSET.NOT_FOUND', async () => {
      let hidden = 0;
      for (const asset of assets.filter((a) => a.tenantId === tenants.a).slice(0, 40)) {
        const mine = fixes.filter((f) => f.asset === asset);
        const data = { assetId: asset.id, ...window, simplifyMeters: 0, gapSeconds: 86_400 * 7 };
        const asked = track.track(request(tenants.a, data, header));
        // The asset's own attributes, without a location: the region applies to each fix.
        const known = decide({ ...p, region: null }, 'positions:read', asset, now).allow;
        if (!known) {
          hidden++;
          await expect(asked).rejects.toMatchObject({ code: AssetErrors.assetNotFound });
          continue;
        }
        const feature = TrackFeature.parse(resultOf(await asked));
        const times = [...new Set((feature.properties.times as string[]).flat())];
        expect(times).toEqual(mine.filter((f) => sees(p, f)).map((f) => new Date(f.t).toISOString()));
      }
      // Region-restricted: every asset is known (its fixes are filtered instead); else some are hidden.
      expect(hidden === 0).toBe(p.region != null);
    });

    it.each([
      { resolution: 7, via: 7 },
      { resolution: 5, via: 5 },
      { resolution: 6, via: 7 },
      { resolution: 9, via: 9 },
    ])('a heatmap counts the allowed fixes per cell (resolution $resolution)', async ({ resolution, via }) => {
      const bbox: Bbox = [8, 47, 11, 49.5];
      const counts = new Map<string, number>();
      for (const f of fixesOf(tenants.a)) {
        if (!sees(p, f)) continue;
        const cell = cellToParent(latLngToCell(f.lat, f.lon, via), resolution);
        const [lat, lon] = cellToLatLng(cell);
        if (inBbox(lon, lat, bbox)) counts.set(cell, (counts.get(cell) ?? 0) + 1);
      }
      const data = { bbox, ...window, resolution };
      const answer = Heatmap.parse(resultOf(await heatmap.heatmap(request(tenants.a, data, header))));
      expect(new Map(answer.items.map((c) => [c.properties.cell, c.properties.count]))).toEqual(counts);
      // Never from the hourly counts, which know nothing of regions, assets' sensitivity or teams.
      expect({ source: answer.source, from: answer.from, to: answer.to }).toEqual({ source: 'fixes', ...window });
    });
  });

  it('an unrestricted principal gets the hourly counts; a restricted one past the cap is refused', async () => {
    const admin = principal(tenants.a);
    const data = { bbox: [8, 47, 11, 49.5] as Bbox, ...window, resolution: 7 };
    const answer = Heatmap.parse(resultOf(await heatmap.heatmap(request(tenants.a, data, admin.header))));
    expect(answer.source).toBe('rollup');
    const tight = new HeatmapHandler(new PositionQueries(pool, { ...limits, maxHeatmapFixes: 100 }, RESOLUTIONS));
    await expect(tight.heatmap(request(tenants.a, data, admin.header))).resolves.toBeDefined();
    await expect(tight.heatmap(request(tenants.a, data, restricted['team-restricted'].header))).rejects.toMatchObject({
      code: PositionQueryErrors.heatmapTooManyFixes,
    });
  });

  it("shows another tenant's principal nothing of this tenant", async () => {
    const theirs = principal(tenants.b);
    const t = new Date(START + 30 * MINUTE).toISOString();
    const page = AssetPage.parse(
      resultOf(await at.at(request(tenants.b, { at: t, maxAgeSeconds: 600, limit: 1000 }, theirs.header))),
    );
    const theirIds = assets.filter((a) => a.tenantId === tenants.b).map((a) => a.id);
    expect(page.items.map((f) => f.id).sort()).toEqual([...theirIds].sort());
    const mine = assets.find((a) => a.tenantId === tenants.a);
    const data = { assetId: mine?.id ?? '', ...window, simplifyMeters: 0, gapSeconds: 300 };
    await expect(track.track(request(tenants.b, data, theirs.header))).rejects.toMatchObject({
      code: AssetErrors.assetNotFound,
    });
    const heat = Heatmap.parse(
      resultOf(
        await heatmap.heatmap(request(tenants.b, { bbox: [8, 47, 11, 49.5], ...window, resolution: 9 }, theirs.header)),
      ),
    );
    const total = heat.items.reduce((n, c) => n + c.properties.count, 0);
    expect(total).toBe(fixesOf(tenants.b).filter((f) => cellCentreIn(f, 9, [8, 47, 11, 49.5])).length);
  });

  it('refuses a request without a principal header (AUTH.PRINCIPAL_UNKNOWN) on every handler', async () => {
    const t = new Date(START).toISOString();
    for (const refused of [
      at.at(request(tenants.a, { at: t, maxAgeSeconds: 600, limit: 10 }, null)),
      track.track(request(tenants.a, { assetId: assets[0].id, ...window, simplifyMeters: 0, gapSeconds: 300 }, null)),
      heatmap.heatmap(request(tenants.a, { bbox: [8, 47, 11, 49.5], ...window, resolution: 7 }, null)),
    ]) {
      await expect(refused).rejects.toMatchObject({ code: AuthErrors.principalUnknown });
    }
  });
});

function cellCentreIn(f: Fix, resolution: number, bbox: Bbox): boolean {
  const [lat, lon] = cellToLatLng(latLngToCell(f.lat, f.lon, resolution));
  return inBbox(lon, lat, bbox);
}
