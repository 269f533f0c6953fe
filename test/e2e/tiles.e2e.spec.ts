import { randomUUID } from 'node:crypto';
import { afterAll, beforeAll, describe, expect, it } from '@jest/globals';
import { squarePolygon } from '@meridian/shared/geometry';
import { readMvt } from '@meridian/shared/testing';
import { api, authHeaders, type E2eSystem, eventually, http, registerAssets, startSystem } from './e2e-stack';

/*
 * Vector tiles through the gateway: assets registered and moved by telemetry, a zone drawn, then
 * their tiles at zoom 0, 10 and 22; ETag and 304; Cache-Control; an empty tile; and the refusals.
 */

const tenant = `e2e-t-${randomUUID().slice(0, 6)}`;
const other = `e2e-t-${randomUUID().slice(0, 6)}`;
let system: E2eSystem;

interface Tile {
  readonly status: number;
  readonly headers: Headers;
  readonly bytes: Buffer;
}

async function tile(path: string, tenantId: string, headers: Record<string, string> = {}): Promise<Tile> {
  const res = await fetch(`${api}${path}`, { headers: { ...(await authHeaders(tenantId)), ...headers } });
  return { status: res.status, headers: res.headers, bytes: Buffer.from(await res.arrayBuffer()) };
}

/** The XYZ tile containing a point. */
function tileOf(z: number, lon: number, lat: number): string {
  const n = 2 ** z;
  const rad = (lat * Math.PI) / 180;
  const x = Math.floor(((lon + 180) / 360) * n);
  const y = Math.floor(((1 - Math.log(Math.tan(rad) + 1 / Math.cos(rad)) / Math.PI) / 2) * n);
  return `${z}/${x}/${y}`;
}

const spot = { lon: 8.5417, lat: 47.3769 };
const sum = (values: readonly unknown[]): number => values.reduce<number>((a, b) => a + Number(b), 0);
const ids = (t: Tile, layer: string, key = 'id'): string[] =>
  t.status === 200 ? (readMvt(t.bytes)[layer]?.features ?? []).map((f) => String(f.properties[key])).sort() : [];

beforeAll(async () => {
  system = await startSystem([tenant, other]);
}, 300_000);

afterAll(async () => {
  await system?.stop();
}, 120_000);

describe('vector tiles through the gateway', () => {
  let mine: string[] = [];
  let theirs: string[] = [];
  let zoneId = '';
  const fixTime = new Date(Date.now() - 5 * 60_000).toISOString();
  const window = `from=${encodeURIComponent(new Date(Date.now() - 30 * 60_000).toISOString())}`;

  beforeAll(async () => {
    mine = await registerAssets(2, tenant, 'Tile drone');
    theirs = await registerAssets(1, other, 'Their drone');
    const fixes = [
      { assetId: mine[0], ts: fixTime, ...spot, speed: 4.5 },
      { assetId: mine[1], ts: fixTime, lon: 8.6, lat: 47.4 },
    ];
    expect((await http('POST', '/v1/telemetry', { tenant, body: { fixes } })).status).toBe(202);
    const their = { fixes: [{ assetId: theirs[0], ts: fixTime, ...spot }] };
    expect((await http('POST', '/v1/telemetry', { tenant: other, body: their })).status).toBe(202);
    const created = await http<{ id: string }>('POST', '/v1/zones', {
      tenant,
      body: { name: 'Depot', kind: 'geofence', geometry: squarePolygon(8.5, 47.3, 0.1), sensitivity: 1 },
    });
    expect(created.status).toBe(201);
    zoneId = created.body.id;
  }, 120_000);

  it("an assets tile at zoom 10 holds the tenant's positioned assets, as MVT with ETag and Cache-Control", async () => {
    const t = await eventually(
      () => tile(`/v1/tiles/assets/${tileOf(10, spot.lon, spot.lat)}.mvt`, tenant),
      (r) => ids(r, 'assets').length === 2,
    );
    expect(t.status).toBe(200);
    expect(t.headers.get('content-type')).toBe('application/vnd.mapbox-vector-tile');
    expect(t.headers.get('etag')).toMatch(/^"[A-Za-z0-9_-]+"$/);
    expect(t.headers.get('cache-control')).toBe('private, max-age=5');
    expect(ids(t, 'assets')).toEqual([...mine].sort());
    const heron = readMvt(t.bytes)['assets'].features.find((f) => f.properties['id'] === mine[0]);
    expect(heron?.properties).toMatchObject({ name: 'Tile drone 0', kind: 'sensor', speed: 4.5 });
  });

  it("never shows another tenant's asset, even at the very same point (zoom 22)", async () => {
    const path = `/v1/tiles/assets/${tileOf(22, spot.lon, spot.lat)}.mvt`;
    expect(ids(await tile(path, tenant), 'assets')).toEqual([mine[0]]);
    const theirTile = await eventually(
      () => tile(path, other),
      (r) => ids(r, 'assets').length === 1,
    );
    expect(ids(theirTile, 'assets')).toEqual([theirs[0]]);
  });

  it('zoom 0 holds every positioned asset of the tenant', async () => {
    expect(ids(await tile('/v1/tiles/assets/0/0/0.mvt', tenant), 'assets')).toEqual([...mine].sort());
  });

  it('answers If-None-Match with the current ETag by 304, and a stale one with the tile', async () => {
    const path = `/v1/tiles/assets/${tileOf(10, spot.lon, spot.lat)}.mvt`;
    const first = await tile(path, tenant);
    const etag = first.headers.get('etag') ?? '';
    const again = await tile(path, tenant, { 'if-none-match': etag });
    expect(again.status).toBe(304);
    expect(again.bytes.length).toBe(0);
    expect(again.headers.get('etag')).toBe(etag);
    const stale = await tile(path, tenant, { 'if-none-match': '"stale"' });
    expect(stale.status).toBe(200);
    expect(stale.bytes.equals(first.bytes)).toBe(true);
  });

  it('a positions tile holds the fixes of its window, with asset_id and ts in epoch ms', async () => {
    const t = await eventually(
      () => tile(`/v1/tiles/positions/${tileOf(10, spot.lon, spot.lat)}.mvt?${window}`, tenant),
      (r) => ids(r, 'positions', 'asset_id').length === 2,
    );
    const features = readMvt(t.bytes)['positions'].features;
    expect(features.map((f) => f.properties['ts'])).toEqual([BigInt(Date.parse(fixTime)), BigInt(Date.parse(fixTime))]);
    expect(ids(t, 'positions', 'asset_id')).toEqual([...mine].sort());
    expect(t.headers.get('cache-control')).toBe('private, max-age=5');

    const before = `from=2020-01-01T00:00:00Z&to=2020-01-01T01:00:00Z`;
    const old = await tile(`/v1/tiles/positions/${tileOf(12, spot.lon, spot.lat)}.mvt?${before}`, tenant);
    expect(old.status).toBe(204);
    expect(old.headers.get('cache-control')).toBe('private, max-age=86400');
  });

  it('a zoom-0 positions tile holds fix counts per H3 cell, and its meta layer says it is aggregated', async () => {
    const t = await eventually(
      () => tile(`/v1/tiles/positions/0/0/0.mvt?${window}`, tenant),
      (r) =>
        r.status === 200 && sum(readMvt(r.bytes)['positions']?.features.map((f) => f.properties['count']) ?? []) === 2,
    );
    const layers = readMvt(t.bytes);
    const counts = layers['positions'].features.map((f) => f.properties['count']);
    expect(sum(counts)).toBe(2);
    expect(layers['positions'].features.map((f) => Object.keys(f.properties).sort())).toEqual(
      counts.map(() => ['cell', 'count']),
    );
    const hour = (ms: number): string => new Date(Math.floor(ms / 3_600_000) * 3_600_000).toISOString();
    const from = Date.parse(decodeURIComponent(window.slice('from='.length)));
    expect(layers['meta'].features[0].properties).toEqual({
      layer: 'positions',
      aggregated: true,
      resolution: 1n,
      from: hour(from),
      to: hour(from + 3_600_000 + 3_599_999),
    });
  });

  it('a zones tile holds the live zone with id, name, kind and version, cached for 60 s', async () => {
    const t = await eventually(
      () => tile(`/v1/tiles/zones/${tileOf(10, 8.55, 47.35)}.mvt`, tenant),
      (r) => ids(r, 'zones').length === 1,
    );
    expect(readMvt(t.bytes)['zones'].features[0].properties).toEqual({
      id: zoneId,
      name: 'Depot',
      kind: 'geofence',
      version: 1n,
    });
    expect(t.headers.get('cache-control')).toBe('private, max-age=60');
  });

  it('an empty tile is 204 with no body', async () => {
    const t = await tile(`/v1/tiles/assets/${tileOf(10, -70, -20)}.mvt`, tenant);
    expect(t.status).toBe(204);
    expect(t.bytes.length).toBe(0);
  });

  it.each([
    ['coordinates off the grid', '/v1/tiles/assets/2/4/0.mvt', 400, 'TILE.COORDINATES_INVALID'],
    ['zoom 23', '/v1/tiles/assets/23/0/0.mvt', 400, 'TILE.COORDINATES_INVALID'],
    ['no .mvt', '/v1/tiles/assets/1/0/0', 400, 'TILE.COORDINATES_INVALID'],
    ['an unknown layer', '/v1/tiles/heat/1/0/0.mvt', 404, 'TILE.LAYER_UNKNOWN'],
    ['a window on zones', '/v1/tiles/zones/1/0/0.mvt?from=2025-01-01T00:00:00Z', 400, 'TILE.WINDOW_INVALID'],
    ['a window in year 0000', '/v1/tiles/positions/1/0/0.mvt?from=0000-01-01T00:00:00Z', 400, 'TILE.WINDOW_INVALID'],
    [
      'a window of 8 days',
      '/v1/tiles/positions/1/0/0.mvt?from=2025-01-01T00:00:00Z&to=2025-01-09T00:00:00Z',
      400,
      'TILE.WINDOW_TOO_LONG',
    ],
  ])('%s: GET %s is a problem+json %i %s', async (_, path, status, code) => {
    const r = await http<{ code: string; status: number }>('GET', path, { tenant });
    expect(r.status).toBe(status);
    expect(r.contentType).toContain('application/problem+json');
    expect(r.body).toMatchObject({ code, status });
  });
});
