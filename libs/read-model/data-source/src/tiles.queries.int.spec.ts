import { randomBytes, randomUUID } from 'node:crypto';
import { cellToLatLng, cellToParent, latLngToCell } from 'h3-js';
import type { Pool } from 'pg';
import type { DataSource } from 'typeorm';
import { afterAll, beforeAll, describe, expect, it } from '@jest/globals';
import { CodedError } from '@meridian/contracts/core';
import { requirePrincipal } from '@meridian/contracts/identity';
import { TileErrors, type TileLayer, type TileWindow } from '@meridian/contracts/tiles';
import { readScope } from '@meridian/read-model/assets';
import {
  countCells,
  insertCellCounts,
  partitionName,
  PositionPartitions,
  PositionQueries,
} from '@meridian/read-model/positions';
import { aggregateResolution, type LonLatBounds, TileQueries, tileBounds } from '@meridian/read-model/tiles';
import {
  describePlanNode,
  explainPlan,
  type MvtLayer,
  readMvt,
  seededRandom,
  testDatabaseUrl,
} from '@meridian/shared/testing';
import { testPrincipal } from '@meridian/shared/testing';
import { createReadModelDataSource, migrateReadModel, poolOf } from './data-source';

/*
 * TileQueries (read-model/tiles) on the read schema as migrateReadModel makes it, with a few
 * thousand assets, tens of thousands of fixes over three day partitions and thousands of zones.
 * Tiles are decoded with a small MVT reader and compared with what the seed says they must hold.
 */

const run = randomBytes(3).toString('hex');
const tenants = { a: `tile-${run}-a`, b: `tile-${run}-b` };
const DAY_MS = 86_400_000;
const SPAN_DAYS = 3;
const region: LonLatBounds = [5, 45, 15, 55];
/** One asset of each tenant sits exactly here (and the zoom-22 tile is the one around it). */
const spot = { lon: 8.5417, lat: 47.3769 };
const roomy = { maxFeatures: 20_000, maxBytes: 640 * 1024 };
/** The H3 resolutions counted per hour at ingest (H3_RESOLUTIONS' default), and the aggregation zoom. */
const STORED = [5, 7];
const AGGREGATE_BELOW_ZOOM = 10;

/** An unrestricted administrator of the tenant, or one with `overrides` (region, clearance, teams). */
const as = (tenantId: string, overrides: Parameters<typeof testPrincipal>[1] = {}) =>
  readScope(requirePrincipal({ tenantId, principal: testPrincipal(tenantId, overrides) }));

/** The XYZ tile containing a point. */
function tileOf(z: number, lon: number, lat: number): { z: number; x: number; y: number } {
  const n = 2 ** z;
  const rad = (lat * Math.PI) / 180;
  return {
    z,
    x: Math.floor(((lon + 180) / 360) * n),
    y: Math.floor(((1 - Math.log(Math.tan(rad) + 1 / Math.cos(rad)) / Math.PI) / 2) * n),
  };
}

const inBounds = ([w, s, e, n]: LonLatBounds, lon: number, lat: number): boolean =>
  lon >= w && lon <= e && lat >= s && lat <= n;

/** The order a capped tile keeps its features in: newest first, ties by id. */
const newestFirst =
  <T extends { ts: number }>(id: (t: T) => string) =>
  (a: T, b: T): number =>
    b.ts - a.ts || (id(a) < id(b) ? -1 : id(a) > id(b) ? 1 : 0);

interface AssetSeed {
  id: string;
  tenantId: string;
  name: string | null;
  kind: string;
  status: string;
  lon: number;
  lat: number;
  ts: number;
  speed: number;
  heading: number;
}
interface FixSeed {
  tenantId: string;
  assetId: string;
  ts: number;
  lon: number;
  lat: number;
  speed: number;
}
interface ZoneSeed {
  id: string;
  tenantId: string;
  name: string;
  kind: string;
  version: number;
  lon: number;
  lat: number;
  /** Side in degrees: most are small, every 50th is large enough to show at zoom 0. */
  size: number;
  archived: boolean;
}

describe('TileQueries (real PostGIS)', () => {
  let dataSource: DataSource;
  let pool: Pool;
  let queries: TileQueries;
  let base: number;
  const assets: AssetSeed[] = [];
  const fixes: FixSeed[] = [];
  const zones: ZoneSeed[] = [];
  let window: TileWindow;

  const dayStart = (offset: number): number => (base + offset) * DAY_MS;
  const layersOf = async (
    layer: TileLayer,
    tenantId: string,
    t: { z: number; x: number; y: number },
    w?: TileWindow,
    limits = roomy,
  ): Promise<Record<string, MvtLayer>> => readMvt((await queries.tile(layer, as(tenantId), t, limits, w)).bytes);

  beforeAll(async () => {
    dataSource = await createReadModelDataSource({ url: testDatabaseUrl(), poolSize: 4 }).initialize();
    await migrateReadModel(dataSource);
    pool = poolOf(dataSource);
    queries = new TileQueries(pool);
    await pool.query(`DELETE FROM read.asset_latest WHERE tenant_id LIKE 'tile-%'`);
    await pool.query(`DELETE FROM read.zones WHERE tenant_id LIKE 'tile-%'`);

    const exists = async (d: number): Promise<boolean> =>
      (await pool.query(`SELECT to_regclass($1) IS NOT NULL AS e`, [`read.${partitionName(d)}`])).rows[0].e;
    const first = Date.UTC(1901, 0, 1) / DAY_MS;
    const last = Date.UTC(1998, 11, 1) / DAY_MS;
    for (;;) {
      base = first + Math.floor(Math.random() * (last - first));
      const taken = await Promise.all(Array.from({ length: SPAN_DAYS }, (_, i) => exists(base + i)));
      if (!taken.includes(true)) break;
    }
    await new PositionPartitions(pool).ensure(Array.from({ length: SPAN_DAYS }, (_, i) => base + i));

    const random = seededRandom(20250401);
    const inRegion = (): [number, number] => [
      region[0] + random() * (region[2] - region[0]),
      region[1] + random() * (region[3] - region[1]),
    ];
    const kinds = ['drone', 'vehicle', 'sensor', 'crew'];
    const addAssets = (tenantId: string, n: number): void => {
      for (let i = 0; i < n; i++) {
        const [lon, lat] = i === 0 ? [spot.lon, spot.lat] : inRegion();
        assets.push({
          id: randomUUID(),
          tenantId,
          name: i % 100 === 99 ? null : `${tenantId} #${i}`,
          kind: kinds[i % kinds.length],
          status: 'available',
          lon,
          lat,
          ts: dayStart(1) + Math.floor(random() * DAY_MS),
          speed: Math.floor(random() * 60) / 2,
          heading: Math.floor(random() * 360),
        });
      }
    };
    addAssets(tenants.a, 3000);
    addAssets(tenants.b, 2000);
    // 4 fixes per asset per day, over three days.
    for (const a of assets) {
      for (let d = 0; d < SPAN_DAYS; d++) {
        for (let k = 0; k < 4; k++) {
          const [lon, lat] = inRegion();
          fixes.push({
            tenantId: a.tenantId,
            assetId: a.id,
            ts: dayStart(d) + Math.floor(random() * DAY_MS),
            lon,
            lat,
            speed: Math.floor(random() * 60) / 2,
          });
        }
      }
    }
    fixes.push({ tenantId: tenants.a, assetId: assets[0].id, ts: dayStart(1) + 1234, ...spot, speed: 3.5 });
    fixes.push({ tenantId: tenants.b, assetId: assets[3000].id, ts: dayStart(1) + 1234, ...spot, speed: 4.5 });
    for (const [tenantId, n] of [
      [tenants.a, 2000],
      [tenants.b, 800],
    ] as const) {
      for (let i = 0; i < n; i++) {
        const [lon, lat] = inRegion();
        zones.push({
          id: randomUUID(),
          tenantId,
          name: `zone ${i}`,
          kind: ['geofence', 'restricted', 'area_of_interest'][i % 3],
          version: 1 + (i % 4),
          lon,
          lat,
          size: i % 50 === 0 ? 1 : 0.05,
          archived: i % 10 === 9,
        });
      }
    }

    const col = <T, K extends keyof T>(rows: readonly T[], k: K): T[K][] => rows.map((r) => r[k]);
    await pool.query(
      `INSERT INTO read.asset_latest (asset_id, tenant_id, name, kind, status, version, geom, ts, speed, heading)
       SELECT a, t, n, k, s, 1, ST_SetSRID(ST_MakePoint(lon, lat), 4326), to_timestamp(ts / 1000.0), sp, h
       FROM unnest($1::uuid[], $2::text[], $3::text[], $4::text[], $5::text[], $6::float8[], $7::float8[],
         $8::float8[], $9::real[], $10::real[]) AS f(a, t, n, k, s, lon, lat, ts, sp, h)`,
      [
        col(assets, 'id'),
        col(assets, 'tenantId'),
        col(assets, 'name'),
        col(assets, 'kind'),
        col(assets, 'status'),
        col(assets, 'lon'),
        col(assets, 'lat'),
        col(assets, 'ts'),
        col(assets, 'speed'),
        col(assets, 'heading'),
      ],
    );
    for (let i = 0; i < fixes.length; i += 10_000) {
      const part = fixes.slice(i, i + 10_000);
      await pool.query(
        `INSERT INTO read.positions (tenant_id, asset_id, ts, geom, speed)
         SELECT t, a, to_timestamp(ts / 1000.0), ST_SetSRID(ST_MakePoint(lon, lat), 4326), sp
         FROM unnest($1::text[], $2::uuid[], $3::float8[], $4::float8[], $5::float8[], $6::real[])
           AS f(t, a, ts, lon, lat, sp)
         ON CONFLICT DO NOTHING`,
        [
          col(part, 'tenantId'),
          col(part, 'assetId'),
          col(part, 'ts'),
          col(part, 'lon'),
          col(part, 'lat'),
          col(part, 'speed'),
        ],
      );
    }
    await pool.query(
      `INSERT INTO read.zones (zone_id, tenant_id, name, kind, geom, sensitivity, version, created_at, updated_at,
         archived_at)
       SELECT id, t, n, k, ST_MakeEnvelope(lon, lat, lon + size, lat + size, 4326), 0, v, now(), now(),
         CASE WHEN archived THEN now() END
       FROM unnest($1::uuid[], $2::text[], $3::text[], $4::text[], $5::int[], $6::float8[], $7::float8[], $8::bool[],
         $9::float8[]) AS f(id, t, n, k, v, lon, lat, archived, size)`,
      [
        col(zones, 'id'),
        col(zones, 'tenantId'),
        col(zones, 'name'),
        col(zones, 'kind'),
        col(zones, 'version'),
        col(zones, 'lon'),
        col(zones, 'lat'),
        col(zones, 'archived'),
        col(zones, 'size'),
      ],
    );
    // The hourly counts per H3 cell that ingest keeps with the fixes (PositionsWriter does the same).
    const cells = countCells(
      fixes.map((f) => ({ tenantId: f.tenantId, ts: new Date(f.ts).toISOString(), lon: f.lon, lat: f.lat })),
      STORED,
    );
    for (let i = 0; i < cells.length; i += 10_000) await insertCellCounts(pool, cells.slice(i, i + 10_000));
    await pool.query('ANALYZE read.position_cells');
    await pool.query('ANALYZE read.asset_latest');
    await pool.query('ANALYZE read.positions');
    await pool.query('ANALYZE read.zones');
    window = { from: new Date(dayStart(1)).toISOString(), to: new Date(dayStart(2)).toISOString() };
  });

  afterAll(async () => {
    if (pool) {
      await pool.query(`DELETE FROM read.asset_latest WHERE tenant_id LIKE $1`, [`tile-${run}-%`]);
      await pool.query(`DELETE FROM read.zones WHERE tenant_id LIKE $1`, [`tile-${run}-%`]);
      await pool.query(`DELETE FROM read.position_cells WHERE tenant_id LIKE $1`, [`tile-${run}-%`]);
      for (let i = 0; i < SPAN_DAYS; i++) await pool.query(`DROP TABLE IF EXISTS read.${partitionName(base + i)}`);
    }
    await dataSource?.destroy();
  });

  const tile9 = tileOf(9, 10.3, 50.2);
  const inTile = (t: { z: number; x: number; y: number }) => {
    const bounds = tileBounds(t.z, t.x, t.y);
    return (p: { lon: number; lat: number }): boolean => inBounds(bounds, p.lon, p.lat);
  };

  describe('assets', () => {
    it("holds exactly the tenant's registered, positioned assets in the tile, with their properties", async () => {
      const layers = await layersOf('assets', tenants.a, tile9);
      const expected = assets.filter((a) => a.tenantId === tenants.a && a.name !== null).filter(inTile(tile9));
      expect(expected.length).toBeGreaterThan(5);
      expect(Object.keys(layers)).toEqual(['assets']);
      const features = layers['assets'].features;
      expect(features.map((f) => f.properties['id']).sort()).toEqual(expected.map((a) => a.id).sort());
      const one = features.find((f) => f.properties['id'] === expected[0].id);
      expect(one?.type).toBe('Point');
      expect(one?.properties).toEqual({
        id: expected[0].id,
        name: expected[0].name,
        kind: expected[0].kind,
        status: 'available',
        ts: BigInt(expected[0].ts),
        speed: expected[0].speed,
        heading: expected[0].heading,
      });
    });

    it("never holds another tenant's asset, even one at the very same point", async () => {
      const t22 = tileOf(22, spot.lon, spot.lat);
      const a = (await layersOf('assets', tenants.a, t22))['assets'].features.map((f) => f.properties['id']);
      const b = (await layersOf('assets', tenants.b, t22))['assets'].features.map((f) => f.properties['id']);
      expect(a).toEqual([assets[0].id]);
      expect(b).toEqual([assets[3000].id]);
    });

    it('zoom 22: the one asset in a tile a few centimetres wide, placed inside it', async () => {
      const t22 = tileOf(22, spot.lon, spot.lat);
      const [feature] = (await layersOf('assets', tenants.a, t22))['assets'].features;
      const [[x, y]] = feature.geometry[0];
      expect(x).toBeGreaterThanOrEqual(0);
      expect(x).toBeLessThan(4096);
      expect(y).toBeGreaterThanOrEqual(0);
      expect(y).toBeLessThan(4096);
    });

    it('zoom 0: every registered, positioned asset of the tenant, and nothing is cut', async () => {
      const t0 = { z: 0, x: 0, y: 0 };
      const tile = await queries.tile('assets', as(tenants.a), t0, roomy);
      const expected = assets.filter((a) => a.tenantId === tenants.a && a.name !== null);
      expect(tile.truncatedAt).toBeNull();
      const layers = readMvt(tile.bytes);
      expect(layers['meta']).toBeUndefined();
      expect(layers['assets'].features).toHaveLength(expected.length);
    });

    it('past the cap: the assets heard from most recently, newest first', async () => {
      const limits = { maxFeatures: 100, maxBytes: roomy.maxBytes };
      const tile = await queries.tile('assets', as(tenants.a), { z: 0, x: 0, y: 0 }, limits);
      const expected = assets
        .filter((a) => a.tenantId === tenants.a && a.name !== null)
        .sort(newestFirst((a) => a.id))
        .slice(0, 100);
      expect(tile.truncatedAt).toBe(100);
      expect(readMvt(tile.bytes)['assets'].features.map((f) => f.properties['id'])).toEqual(expected.map((a) => a.id));
    });

    it('an empty tile (nothing there) is empty bytes', async () => {
      const tile = await queries.tile('assets', as(tenants.a), tileOf(10, -70, -20), roomy);
      expect(tile.bytes.length).toBe(0);
      expect(tile.features).toBe(0);
    });
  });

  describe('positions', () => {
    it("holds the tenant's fixes of the window [from, to) in the tile, with asset_id, ts in ms and speed", async () => {
      const from = dayStart(1);
      const to = dayStart(2);
      const expected = fixes.filter((f) => f.tenantId === tenants.a && f.ts >= from && f.ts < to).filter(inTile(tile9));
      expect(expected.length).toBeGreaterThan(20);
      const features = (await layersOf('positions', tenants.a, tile9, window))['positions'].features;
      const key = (assetId: unknown, ts: unknown): string => `${String(assetId)}@${String(ts)}`;
      expect(features.map((f) => key(f.properties['asset_id'], f.properties['ts'])).sort()).toEqual(
        expected.map((f) => key(f.assetId, f.ts)).sort(),
      );
      const sample = features[0].properties;
      const seed = expected.find((f) => key(f.assetId, f.ts) === key(sample['asset_id'], sample['ts']));
      expect(sample['speed']).toBe(seed?.speed);
    });

    it('the window is half-open: a fix exactly at `to` is not in it, one exactly at `from` is', async () => {
      const t22 = tileOf(22, spot.lon, spot.lat);
      const at = dayStart(1) + 1234;
      const including = { from: new Date(at).toISOString(), to: new Date(at + 1).toISOString() };
      const excluding = { from: new Date(at - 1000).toISOString(), to: new Date(at).toISOString() };
      const hit = (await layersOf('positions', tenants.a, t22, including))['positions'].features;
      expect(hit.map((f) => f.properties)).toEqual([{ asset_id: assets[0].id, ts: BigInt(at), speed: 3.5 }]);
      expect((await queries.tile('positions', as(tenants.a), t22, roomy, excluding)).bytes.length).toBe(0);
    });

    it('zoom 0 past the cap: the tile holds `limit` fixes and a meta layer that says so', async () => {
      const t0 = { z: 0, x: 0, y: 0 };
      const limits = { maxFeatures: 5000, maxBytes: roomy.maxBytes };
      const tile = await queries.tile('positions', as(tenants.a), t0, limits, window);
      expect(tile.truncatedAt).toBe(5000);
      const layers = readMvt(tile.bytes);
      expect(layers['positions'].features).toHaveLength(5000);
      expect(layers['meta'].features.map((f) => f.properties)).toEqual([
        { layer: 'positions', truncated: true, limit: BigInt(5000) },
      ]);
      expect(layers['meta'].features[0].geometry).toEqual([[[2048, 2048]]]);
    });

    it('the cap keeps the newest fixes (ts descending, then asset_id): the same tile every time', async () => {
      const t0 = { z: 0, x: 0, y: 0 };
      const limits = { maxFeatures: 5000, maxBytes: roomy.maxBytes };
      const key = (assetId: unknown, ts: unknown): string => `${String(assetId)}@${String(ts)}`;
      const expected = fixes
        .filter((f) => f.tenantId === tenants.a && f.ts >= dayStart(1) && f.ts < dayStart(2))
        .sort(newestFirst((f) => f.assetId))
        .slice(0, 5000)
        .map((f) => key(f.assetId, f.ts));
      const tile = await queries.tile('positions', as(tenants.a), t0, limits, window);
      const kept = readMvt(tile.bytes)['positions'].features.map((f) =>
        key(f.properties['asset_id'], f.properties['ts']),
      );
      expect(kept).toEqual(expected);
      const again = await queries.tile('positions', as(tenants.a), t0, limits, window);
      expect(again.bytes.equals(tile.bytes)).toBe(true);
    });

    it('zoom 0 under the cap is whole and has no meta layer', async () => {
      const t0 = { z: 0, x: 0, y: 0 };
      const expected = fixes.filter(
        (f) => f.tenantId === tenants.b && f.ts >= dayStart(1) && f.ts < dayStart(2),
      ).length;
      const tile = await queries.tile('positions', as(tenants.b), t0, roomy, window);
      const layers = readMvt(tile.bytes);
      expect(tile.truncatedAt).toBeNull();
      expect(layers['positions'].features).toHaveLength(expected);
      expect(layers['meta']).toBeUndefined();
    });

    it('over the byte budget: made again with fewer fixes, saying so; hopelessly small is TILE.TOO_LARGE', async () => {
      const t0 = { z: 0, x: 0, y: 0 };
      const limits = { maxFeatures: 20_000, maxBytes: 64 * 1024 };
      const tile = await queries.tile('positions', as(tenants.a), t0, limits, window);
      expect(tile.bytes.length).toBeLessThanOrEqual(64 * 1024);
      expect(tile.truncatedAt).not.toBeNull();
      const layers = readMvt(tile.bytes);
      expect(layers['positions'].features).toHaveLength(tile.truncatedAt ?? -1);
      expect(layers['meta'].features[0].properties['limit']).toBe(BigInt(tile.truncatedAt ?? -1));
      const newest = fixes
        .filter((f) => f.tenantId === tenants.a && f.ts >= dayStart(1) && f.ts < dayStart(2))
        .sort(newestFirst((f) => f.assetId))
        .slice(0, tile.truncatedAt ?? 0)
        .map((f) => BigInt(f.ts));
      expect(layers['positions'].features.map((f) => f.properties['ts'])).toEqual(newest);

      const refused = queries.tile('positions', as(tenants.a), t0, { maxFeatures: 20_000, maxBytes: 8 }, window);
      await expect(refused).rejects.toBeInstanceOf(CodedError);
      await expect(refused).rejects.toMatchObject({ code: TileErrors.tileTooLarge });
    });
  });

  // Below the aggregation zoom a positions tile holds fix counts per H3 cell from the hourly counts,
  // and its meta layer says so; at and above it, fixes (ADR 0020).
  describe('aggregated positions (below the zoom threshold)', () => {
    let aggregating: TileQueries;
    const positionQueries = (resolutions: number[]): PositionQueries =>
      new PositionQueries(
        pool,
        {
          maxTrackVertices: 10_000,
          maxHeatmapCells: 50_000,
          maxHeatmapFixes: 100_000,
          codes: { trackTooManyVertices: 'T', heatmapTooManyCells: 'C', heatmapTooManyFixes: 'F' },
        },
        resolutions,
      );
    beforeAll(() => {
      aggregating = new TileQueries(pool, {
        counter: positionQueries(STORED),
        resolutions: STORED,
        belowZoom: AGGREGATE_BELOW_ZOOM,
      });
    });

    /**
     * What the tile must hold: the tenant's fixes in `[from, to)`, each in its cell at the stored
     * resolution rolled up to `resolution`, for the cells whose centre lies in the tile and its buffer.
     */
    const expectedCells = (
      tenantId: string,
      t: { z: number; x: number; y: number },
      resolution: number,
      from: number,
      to: number,
    ): Map<string, number> => {
      const stored = STORED.find((r) => r >= resolution) ?? resolution;
      const bounds = tileBounds(t.z, t.x, t.y);
      const counts = new Map<string, number>();
      for (const f of fixes) {
        if (f.tenantId !== tenantId || f.ts < from || f.ts >= to) continue;
        const cell = cellToParent(latLngToCell(f.lat, f.lon, stored), resolution);
        const [lat, lon] = cellToLatLng(cell);
        if (inBounds(bounds, lon, lat)) counts.set(cell, (counts.get(cell) ?? 0) + 1);
      }
      return counts;
    };
    const cellsOf = (layers: Record<string, MvtLayer>): Map<string, number> =>
      new Map(layers['positions'].features.map((f) => [String(f.properties['cell']), Number(f.properties['count'])]));
    const sum = (m: Map<string, number>): number => [...m.values()].reduce((a, b) => a + b, 0);

    it('zoom 0: counts per resolution-1 cell adding up to every fix of the window; meta says so', async () => {
      const t0 = { z: 0, x: 0, y: 0 };
      const tile = await aggregating.tile('positions', as(tenants.a), t0, roomy, window);
      const layers = readMvt(tile.bytes);
      expect(aggregateResolution(0, STORED)).toBe(1);
      const expected = expectedCells(tenants.a, t0, 1, dayStart(1), dayStart(2));
      const all = fixes.filter((f) => f.tenantId === tenants.a && f.ts >= dayStart(1) && f.ts < dayStart(2));
      expect(sum(expected)).toBe(all.length);
      expect(cellsOf(layers)).toEqual(expected);
      expect(sum(cellsOf(layers))).toBe(all.length);
      expect(Object.keys(layers['positions'].features[0].properties).sort()).toEqual(['cell', 'count']);
      expect(layers['meta'].features.map((f) => f.properties)).toEqual([
        { layer: 'positions', aggregated: true, resolution: 1n, from: window.from, to: window.to },
      ]);
      expect(tile.aggregated).toEqual({ resolution: 1, from: window.from, to: window.to });
      expect(tile.truncatedAt).toBeNull();
    });

    it('the window is widened to whole hours, and the meta layer says which were counted', async () => {
      const t0 = { z: 0, x: 0, y: 0 };
      const from = dayStart(1) + 90 * 60_000 + 17_000;
      const to = dayStart(1) + 5 * 3_600_000 + 1;
      const w = { from: new Date(from).toISOString(), to: new Date(to).toISOString() };
      const hours = { from: dayStart(1) + 3_600_000, to: dayStart(1) + 6 * 3_600_000 };
      const layers = readMvt((await aggregating.tile('positions', as(tenants.a), t0, roomy, w)).bytes);
      expect(cellsOf(layers)).toEqual(expectedCells(tenants.a, t0, 1, hours.from, hours.to));
      expect(layers['meta'].features[0].properties).toMatchObject({
        from: new Date(hours.from).toISOString(),
        to: new Date(hours.to).toISOString(),
      });
    });

    it('zoom 9 (the threshold − 1): counts per resolution-7 cell of the fixes in the tile', async () => {
      expect(aggregateResolution(AGGREGATE_BELOW_ZOOM - 1, STORED)).toBe(7);
      const layers = readMvt((await aggregating.tile('positions', as(tenants.a), tile9, roomy, window)).bytes);
      const expected = expectedCells(tenants.a, tile9, 7, dayStart(1), dayStart(2));
      expect(sum(expected)).toBeGreaterThan(20);
      expect(cellsOf(layers)).toEqual(expected);
      // Fixes near the edge may sit in a cell whose centre is in the next tile: the sum is the tile's fixes ± those.
      const inside = fixes
        .filter((f) => f.tenantId === tenants.a && f.ts >= dayStart(1) && f.ts < dayStart(2))
        .filter(inTile(tile9)).length;
      expect(Math.abs(sum(cellsOf(layers)) - inside)).toBeLessThanOrEqual(Math.ceil(inside * 0.1));
      expect(layers['meta'].features[0].properties).toMatchObject({ aggregated: true, resolution: 7n });
      // Every cell point lies in the tile or its buffer.
      for (const f of layers['positions'].features) {
        const [[x, y]] = f.geometry[0];
        expect(Math.min(x, y)).toBeGreaterThanOrEqual(-64);
        expect(Math.max(x, y)).toBeLessThanOrEqual(4096 + 64);
      }
    });

    it('zoom 10 (the threshold): fixes, as before', async () => {
      const t10 = { z: 10, x: tile9.x * 2, y: tile9.y * 2 };
      const tile = await aggregating.tile('positions', as(tenants.a), t10, roomy, window);
      const layers = readMvt(tile.bytes);
      const expected = fixes
        .filter((f) => f.tenantId === tenants.a && f.ts >= dayStart(1) && f.ts < dayStart(2))
        .filter(inTile(t10));
      expect(expected.length).toBeGreaterThan(0);
      expect(tile.aggregated).toBeNull();
      expect(Object.keys(layers)).toEqual(['positions']);
      expect(layers['positions'].features.map((f) => String(f.properties['asset_id'])).sort()).toEqual(
        expected.map((f) => f.assetId).sort(),
      );
    });

    it("counts only the tenant's own fixes", async () => {
      const t0 = { z: 0, x: 0, y: 0 };
      const b = readMvt((await aggregating.tile('positions', as(tenants.b), t0, roomy, window)).bytes);
      const bFixes = fixes.filter((f) => f.tenantId === tenants.b && f.ts >= dayStart(1) && f.ts < dayStart(2));
      expect(cellsOf(b)).toEqual(expectedCells(tenants.b, t0, 1, dayStart(1), dayStart(2)));
      expect(sum(cellsOf(b))).toBe(bFixes.length);
      const at = { from: new Date(dayStart(1)).toISOString(), to: new Date(dayStart(1) + 3_600_000).toISOString() };
      // At the spot, one fix of each tenant in that hour: resolution 7 at zoom 9 shows each its own.
      const t9 = tileOf(9, spot.lon, spot.lat);
      const spotCell = latLngToCell(spot.lat, spot.lon, 7);
      for (const tenantId of [tenants.a, tenants.b]) {
        const cells = cellsOf(readMvt((await aggregating.tile('positions', as(tenantId), t9, roomy, at)).bytes));
        expect(cells.get(spotCell)).toBe(
          expectedCells(tenantId, t9, 7, dayStart(1), dayStart(1) + 3_600_000).get(spotCell),
        );
      }
    });

    it('over the byte budget: made again one resolution coarser, and the meta layer names it', async () => {
      const fine = await aggregating.tile('positions', as(tenants.a), tile9, roomy, window);
      const limits = { maxFeatures: roomy.maxFeatures, maxBytes: fine.bytes.length - 1 };
      const coarser = await aggregating.tile('positions', as(tenants.a), tile9, limits, window);
      expect(coarser.aggregated?.resolution).toBe(6);
      expect(cellsOf(readMvt(coarser.bytes))).toEqual(expectedCells(tenants.a, tile9, 6, dayStart(1), dayStart(2)));
      expect(coarser.bytes.length).toBeLessThanOrEqual(limits.maxBytes);
    });

    it('with no stored resolution, a zoom-0 tile reads the fixes (capped, saying so)', async () => {
      const none = new TileQueries(pool, { counter: positionQueries([]), resolutions: [], belowZoom: 10 });
      const limits = { maxFeatures: 100, maxBytes: roomy.maxBytes };
      const tile = await none.tile('positions', as(tenants.a), { z: 0, x: 0, y: 0 }, limits, window);
      expect(tile.aggregated).toBeNull();
      expect(readMvt(tile.bytes)['meta'].features[0].properties).toEqual({
        layer: 'positions',
        truncated: true,
        limit: 100n,
      });
    });
  });

  describe('zones', () => {
    it("holds the tenant's live zones in the tile, never archived ones, with id, name, kind, version", async () => {
      const [w, s, e, n] = tileBounds(tile9.z, tile9.x, tile9.y);
      const touches = (z: ZoneSeed): boolean => z.lon <= e && z.lon + z.size >= w && z.lat <= n && z.lat + z.size >= s;
      const mine = zones.filter((z) => z.tenantId === tenants.a && touches(z));
      const expected = mine.filter((z) => !z.archived);
      expect(mine.some((z) => z.archived)).toBe(true);
      const features = (await layersOf('zones', tenants.a, tile9))['zones'].features;
      expect(features.map((f) => f.properties['id']).sort()).toEqual(expected.map((z) => z.id).sort());
      const one = features.find((f) => f.properties['id'] === expected[0].id);
      expect(one?.type).toBe('Polygon');
      expect(one?.properties).toEqual({
        id: expected[0].id,
        name: expected[0].name,
        kind: expected[0].kind,
        version: BigInt(expected[0].version),
      });
    });

    it('past the cap: the live zones of the tile with the lowest ids, in id order', async () => {
      const [w, s, e, n] = tileBounds(tile9.z, tile9.x, tile9.y);
      const expected = zones
        .filter((z) => z.tenantId === tenants.a && !z.archived)
        .filter((z) => z.lon <= e && z.lon + z.size >= w && z.lat <= n && z.lat + z.size >= s)
        .map((z) => z.id)
        .sort();
      expect(expected.length).toBeGreaterThan(6);
      const limits = { maxFeatures: 5, maxBytes: roomy.maxBytes };
      const tile = await queries.tile('zones', as(tenants.a), tile9, limits);
      expect(tile.truncatedAt).toBe(5);
      expect(readMvt(tile.bytes)['zones'].features.map((f) => f.properties['id'])).toEqual(expected.slice(0, 5));
    });

    it('zoom 0 holds the live zones large enough to cover a grid unit (smaller ones vanish)', async () => {
      const ids = (await layersOf('zones', tenants.b, { z: 0, x: 0, y: 0 }))['zones'].features.map(
        (f) => f.properties['id'],
      );
      const live = new Set(zones.filter((z) => z.tenantId === tenants.b && !z.archived).map((z) => z.id));
      const large = zones.filter((z) => z.tenantId === tenants.b && !z.archived && z.size >= 1).map((z) => z.id);
      expect(large.length).toBeGreaterThan(5);
      expect(ids.filter((id) => !live.has(String(id)))).toEqual([]);
      expect(large.filter((id) => !ids.includes(id))).toEqual([]);
    });
  });

  // DESIGN §5 and issue 8: a tile query never scans outside its envelope; every layer's plan uses
  // its GiST index on the envelope, and positions read only the window's day partitions.
  describe('plans', () => {
    const gistOf: Record<TileLayer, (name: string) => boolean> = {
      assets: (name) => name === 'asset_latest_geom',
      positions: (name) => /^positions_\d{8}_geom_idx$/.test(name),
      zones: (name) => name === 'zones_live_geom',
    };
    const relationOf: Record<TileLayer, RegExp> = {
      assets: /^asset_latest$/,
      positions: /^positions(_\d{8})?$/,
      zones: /^zones$/,
    };

    /** The south-east half of the seeded area: the diagonal crosses tile9. */
    const diagonal = {
      type: 'Polygon' as const,
      coordinates: [
        [
          [5, 45],
          [15, 45],
          [15, 55],
          [5, 45],
        ] as [number, number][],
      ],
    };
    const principals = {
      unrestricted: {},
      'region-restricted': { roles: ['viewer' as const], region: diagonal },
      'clearance- and team-restricted': { roles: ['viewer' as const], clearance: 1, teams: ['red'] },
    };
    const cases = (['assets', 'positions', 'zones'] as const).flatMap((layer) =>
      Object.entries(principals).map(([who, overrides]) => ({ layer, who, overrides })),
    );

    it.each(cases)(
      'a zoom-9 $layer tile, $who principal, uses the GiST index on geom',
      async ({ layer, overrides }) => {
        const sql = queries.statement(layer, as(tenants.a, overrides), tile9, roomy.maxFeatures, window);
        const nodes = await explainPlan(pool, sql);
        const plan = nodes.map(describePlanNode).join(' → ');
        const gist = nodes.filter(
          (n) => ['Index Scan', 'Bitmap Index Scan'].includes(n['Node Type']) && gistOf[layer](n['Index Name'] ?? ''),
        );
        const seq = nodes.filter(
          (n) => n['Node Type'] === 'Seq Scan' && relationOf[layer].test(n['Relation Name'] ?? ''),
        );
        expect({ plan, usesGist: gist.length > 0, seqScans: seq.length }).toEqual({
          plan,
          usesGist: true,
          seqScans: 0,
        });
      },
    );

    it("an unrestricted principal adds nothing to a tile's SQL; a restricted one adds its filter", () => {
      const text = (overrides: Parameters<typeof testPrincipal>[1]) =>
        queries.statement('positions', as(tenants.a, overrides), tile9, 1000, window).text;
      const plain = text(principals.unrestricted);
      expect(plain).not.toMatch(/ST_Intersects|asset_latest|sensitivity/);
      expect(text(principals['region-restricted'])).toMatch(/ST_Intersects\(p\.geom, ST_SetSRID\(ST_GeomFromGeoJSON/);
      expect(text(principals['region-restricted'])).not.toMatch(/asset_latest/);
      expect(text(principals['clearance- and team-restricted'])).toMatch(/LEFT JOIN read\.asset_latest a/);
    });

    it('a positions tile reads only the partitions of its window (one day here, of three)', async () => {
      const nodes = await explainPlan(pool, queries.statement('positions', as(tenants.a), tile9, 1000, window));
      const partitions = new Set(nodes.map((n) => n['Relation Name'] ?? '').filter((r) => /^positions_\d{8}$/.test(r)));
      expect([...partitions]).toEqual([partitionName(base + 1)]);
    });
  });
});
