import { randomUUID } from 'node:crypto';
import { afterAll, beforeAll, describe, expect, it } from '@jest/globals';
import { type E2eSystem, eventually, http, startSystem } from './e2e-stack';

/*
 * The spatial-temporal queries through the gateway: where every asset was at T, the track of an
 * asset (across midnight, so across a day partition, with a gap), the k nearest, the heatmap; their
 * refusals as problem+json; and tenant isolation.
 */

const tenant = `e2e-q-${randomUUID().slice(0, 6)}`;
const stranger = `e2e-q-${randomUUID().slice(0, 6)}`;
let system: E2eSystem;

interface Problem {
  code: string;
  status: number;
  detail: string;
}
interface Feature {
  id: string;
  geometry: { type: string; coordinates: unknown } | null;
  properties: Record<string, unknown>;
}
interface Collection {
  type: 'FeatureCollection';
  features: Feature[];
  numberReturned: number;
}

const DAY = 86_400_000;
/** Midnight UTC two days ago: the track runs 23:40 → 00:20 across it, paused 23:55 → 00:05. */
const midnight = Math.floor(Date.now() / DAY) * DAY - DAY;
const iso = (ms: number): string => new Date(ms).toISOString();
const trackStart = midnight - 20 * 60_000;
const trackFixes = Array.from({ length: 81 }, (_, i) => trackStart + i * 30_000).filter(
  (t) => t < midnight - 5 * 60_000 || t >= midnight + 5 * 60_000,
);

const ids: Record<'track' | 'near' | 'far' | 'silent' | 'hauler', string> = {
  track: '',
  near: '',
  far: '',
  silent: '',
  hauler: '',
};

async function register(name: string, kind: string, tenantId = tenant): Promise<string> {
  const res = await http<{ id: string }>('POST', '/v1/assets', { tenant: tenantId, body: { name, kind } });
  expect(res.status).toBe(201);
  const read = await eventually(
    () => http('GET', `/v1/assets/${res.body.id}`, { tenant: tenantId }),
    (r) => r.status === 200,
  );
  expect(read.status).toBe(200);
  return res.body.id;
}

beforeAll(async () => {
  system = await startSystem([tenant, stranger]);
  ids.track = await register('Truck 1', 'vehicle');
  ids.near = await register('Drone 1', 'drone');
  ids.far = await register('Truck 2', 'vehicle');
  ids.silent = await register('Sensor 1', 'sensor');
  await register('Stranger truck', 'vehicle', stranger);
  const fixes = [
    // Eastward along 47.30°N from 8.50°E, ~75 m per fix, a slight zigzag to simplify away.
    ...trackFixes.map((t, i) => ({
      assetId: ids.track,
      ts: iso(t),
      lon: 8.5 + i * 0.001,
      lat: 47.3 + (i % 2) * 0.00002,
    })),
    { assetId: ids.near, ts: iso(Date.now() - 60_000), lon: 8.51, lat: 47.31 },
    { assetId: ids.far, ts: iso(Date.now() - 60_000), lon: 9.5, lat: 47.8 },
  ];
  const sent = await http<{ accepted: number }>('POST', '/v1/telemetry', { tenant, body: { fixes } });
  expect(sent.body.accepted).toBe(fixes.length);
  const stored = await eventually(
    () =>
      http<Feature>('GET', `/v1/assets/${ids.track}/track?from=${iso(trackStart)}&to=${iso(midnight + 30 * 60_000)}`, {
        tenant,
      }),
    (r) => r.body.properties?.fixes === trackFixes.length,
  );
  expect(stored.body.properties.fixes).toBe(trackFixes.length);
  await eventually(
    () => http<Collection>('GET', '/v1/assets/nearest?lon=8.5&lat=47.3&k=5', { tenant }),
    (r) => r.body.features?.length === 3,
  );
}, 300_000);

afterAll(async () => {
  await system?.stop();
}, 120_000);

describe('GET /v1/assets?at=', () => {
  it('answers where each asset was at T: the last fix at or before it, no older than maxAge', async () => {
    const at = midnight + 6 * 60_000; // the first fix after the pause was at 00:05
    const res = await http<Collection>('GET', `/v1/assets?at=${iso(at)}`, { tenant });
    expect(res.status).toBe(200);
    expect(res.contentType).toContain('application/geo+json');
    expect(res.body.features.map((f) => f.id)).toEqual([ids.track]);
    const last = trackFixes.filter((t) => t <= at).length - 1;
    expect(res.body.features[0].properties.lastSeen).toBe(iso(trackFixes[last]));
    expect(res.body.features[0].geometry?.coordinates).toEqual([8.5 + last * 0.001, 47.3 + (last % 2) * 0.00002]);
  });

  it('leaves out assets whose last fix is older than maxAge, and everything before the first fix', async () => {
    // 00:03, in the pause: the last fix (23:54:30) is 8.5 minutes old.
    const inPause = iso(midnight + 3 * 60_000);
    expect((await http<Collection>('GET', `/v1/assets?at=${inPause}`, { tenant })).body.features).toHaveLength(1);
    expect((await http<Collection>('GET', `/v1/assets?at=${inPause}&maxAge=300`, { tenant })).body.features).toEqual(
      [],
    );
    const before = await http<Collection>('GET', `/v1/assets?at=${iso(trackStart - 1000)}`, { tenant });
    expect(before.body.features).toEqual([]);
  });

  it('filters by bbox and never shows another tenant', async () => {
    const now = iso(Date.now());
    const res = await http<Collection>('GET', `/v1/assets?at=${now}&bbox=8.4,47.2,8.6,47.4`, { tenant });
    expect(res.body.features.map((f) => f.id)).toEqual([ids.near]);
    expect((await http<Collection>('GET', `/v1/assets?at=${now}`, { tenant: stranger })).body.features).toEqual([]);
  });

  it('refuses a bad instant, maxAge without at, and an antimeridian bbox, as problem+json', async () => {
    const cases: [string, string][] = [
      ['/v1/assets?at=yesterday', 'REQUEST.INVALID'],
      ['/v1/assets?maxAge=60', 'REQUEST.INVALID'],
      [`/v1/assets?at=${iso(Date.now())}&maxAge=0`, 'REQUEST.INVALID'],
      [`/v1/assets?at=${iso(Date.now())}&bbox=170,-10,-170,10`, 'QUERY.BBOX_INVALID'],
    ];
    for (const [path, code] of cases) {
      const res = await http<Problem>('GET', path, { tenant });
      expect({ path, status: res.status, code: res.body.code, type: res.contentType }).toEqual({
        path,
        status: 400,
        code,
        type: expect.stringContaining('application/problem+json'),
      });
    }
  });
});

describe('GET /v1/assets/{id}/track', () => {
  const window = `from=${iso(trackStart)}&to=${iso(midnight + 30 * 60_000)}`;

  it('is a MultiLineString split at the pause, times nested per line, across midnight', async () => {
    const res = await http<Feature>('GET', `/v1/assets/${ids.track}/track?${window}`, { tenant });
    expect(res.status).toBe(200);
    expect(res.body.geometry?.type).toBe('MultiLineString');
    const times = res.body.properties.times as string[][];
    expect(times.map((t) => t.length)).toEqual([
      trackFixes.filter((t) => t < midnight).length,
      trackFixes.filter((t) => t >= midnight).length,
    ]);
    expect(times.flat()).toEqual(trackFixes.map(iso));
    // A longer gap limit joins the lines: one LineString over both days.
    const joined = await http<Feature>('GET', `/v1/assets/${ids.track}/track?${window}&gap=900`, { tenant });
    expect(joined.body.geometry?.type).toBe('LineString');
    expect((joined.body.properties.times as string[])[0].slice(0, 10)).not.toBe(
      (joined.body.properties.times as string[]).at(-1)?.slice(0, 10),
    );
  });

  it('simplifies in metres, keeping the first and last vertex with their times', async () => {
    const res = await http<Feature>('GET', `/v1/assets/${ids.track}/track?${window}&gap=900&simplify=10`, {
      tenant,
    });
    const times = res.body.properties.times as string[];
    expect(times.length).toBeLessThan(10);
    expect(times[0]).toBe(iso(trackFixes[0]));
    expect(times.at(-1)).toBe(iso(trackFixes.at(-1) ?? 0));
    expect(res.body.properties.fixes).toBe(trackFixes.length);
  });

  it('answers a track of 30,000 vertices (a reply larger than a Kafka default of 1 MiB)', async () => {
    const assetId = await register('Long hauler', 'vehicle');
    ids.hauler = assetId;
    const start = Date.now() - 10 * 3_600_000;
    const fixes = Array.from({ length: 30_000 }, (_, i) => ({
      assetId,
      ts: iso(start + i * 1000),
      lon: 7 + i * 0.00001,
      lat: 46 + (i % 2) * 0.00001,
    }));
    for (let i = 0; i < fixes.length; i += 2_000) {
      const sent = await http<{ accepted: number }>('POST', '/v1/telemetry', {
        tenant,
        body: { fixes: fixes.slice(i, i + 2_000) },
      });
      expect({ status: sent.status, body: sent.body }).toMatchObject({ status: 202, body: { accepted: 2_000 } });
    }
    const path = `/v1/assets/${assetId}/track?from=${iso(start)}&to=${iso(start + 30_000_000)}`;
    const track = await eventually(
      () => http<Feature>('GET', path, { tenant }),
      (r) => r.body.properties?.fixes === fixes.length,
    );
    expect(track.status).toBe(200);
    expect(track.body.properties.times).toHaveLength(30_000);
    expect(JSON.stringify(track.body).length).toBeGreaterThan(1024 * 1024);
  }, 120_000);

  it('answers a null geometry for an empty window and 404 for an asset of another tenant', async () => {
    const empty = await http<Feature>(
      'GET',
      `/v1/assets/${ids.silent}/track?from=${iso(Date.now() - DAY)}&to=${iso(Date.now())}`,
      { tenant },
    );
    expect(empty.status).toBe(200);
    expect(empty.body.geometry).toBeNull();
    const foreign = await http<Problem>('GET', `/v1/assets/${ids.track}/track?${window}`, { tenant: stranger });
    expect([foreign.status, foreign.body.code]).toEqual([404, 'ASSET.NOT_FOUND']);
  });

  it('refuses a missing or inverted window, one too long, and a bad tolerance', async () => {
    const cases: [string, number, string][] = [
      [`/v1/assets/${ids.track}/track`, 400, 'REQUEST.INVALID'],
      [`/v1/assets/${ids.track}/track?from=${iso(midnight)}&to=${iso(midnight - 1000)}`, 400, 'REQUEST.INVALID'],
      [
        `/v1/assets/${ids.track}/track?from=${iso(midnight - 40 * DAY)}&to=${iso(midnight)}`,
        400,
        'QUERY.WINDOW_TOO_LONG',
      ],
      [`/v1/assets/${ids.track}/track?${window}&simplify=-1`, 400, 'REQUEST.INVALID'],
      [`/v1/assets/not-a-uuid/track?${window}`, 400, 'REQUEST.INVALID'],
    ];
    for (const [path, status, code] of cases) {
      const res = await http<Problem>('GET', path, { tenant });
      expect({ path, status: res.status, code: res.body.code }).toEqual({ path, status, code });
    }
  });
});

describe('GET /v1/assets/nearest', () => {
  it('answers the whole positioned fleet, nearest first, when k exceeds it', async () => {
    const res = await http<Collection>('GET', '/v1/assets/nearest?lon=8.5&lat=47.3&k=100', { tenant });
    expect(res.status).toBe(200);
    // The long hauler (7.3°E 46°N, from the track test above) is farthest.
    expect(res.body.features.map((f) => f.id)).toEqual([ids.near, ids.track, ids.far, ids.hauler]);
    const d = res.body.features.map((f) => f.properties.distanceMeters as number);
    expect(d[0]).toBeGreaterThan(1000);
    expect(d[0]).toBeLessThan(1600); // 0.01° east and north of the point at 47.3°N: about 1.36 km
    expect(d).toEqual([...d].sort((a, b) => a - b));
  });

  it('filters by kind, and refuses bad coordinates and k', async () => {
    const drones = await http<Collection>('GET', '/v1/assets/nearest?lon=9.5&lat=47.8&kind=drone', { tenant });
    expect(drones.body.features.map((f) => f.id)).toEqual([ids.near]);
    for (const q of [
      'lon=181&lat=0',
      'lat=0',
      'lon=&lat=0',
      'lon=0&lat=0&k=101',
      'lon=0&lat=0&k=0',
      'lon=0&lat=0&kind=boat',
    ]) {
      const res = await http<Problem>('GET', `/v1/assets/nearest?${q}`, { tenant });
      expect({ q, status: res.status, code: res.body.code }).toEqual({ q, status: 400, code: 'REQUEST.INVALID' });
    }
    // The stranger's only asset has no position: none of this tenant's assets shows.
    const foreign = await http<Collection>('GET', '/v1/assets/nearest?lon=8.5&lat=47.3', { tenant: stranger });
    expect(foreign.body.features).toEqual([]);
  });
});

describe('GET /v1/heatmap', () => {
  const window = `from=${iso(trackStart)}&to=${iso(midnight + 30 * 60_000)}`;
  const sum = (c: Collection): number => c.features.reduce((n, f) => n + (f.properties.count as number), 0);

  it('counts fixes per H3 cell, from the hourly counts or from the fixes at finer resolutions', async () => {
    const rollup = await http<Collection & { source: string; resolution: number }>(
      'GET',
      `/v1/heatmap?bbox=8,47,9,48&${window}&resolution=7`,
      { tenant },
    );
    expect(rollup.status).toBe(200);
    expect(rollup.body.source).toBe('rollup');
    expect(sum(rollup.body)).toBe(trackFixes.length);
    const fine = await http<Collection & { source: string }>(
      'GET',
      `/v1/heatmap?bbox=8,47,9,48&${window}&resolution=10`,
      {
        tenant,
      },
    );
    expect(fine.body.source).toBe('fixes');
    expect(sum(fine.body)).toBe(trackFixes.length);
    expect(fine.body.features.length).toBeGreaterThan(rollup.body.features.length);
    const cell = fine.body.features[0];
    expect(cell.geometry?.type).toBe('Polygon');
    expect(cell.properties.cell).toMatch(/^8a[0-9a-f]{13}$/);
  });

  it('is empty for another tenant and refuses a missing bbox, an antimeridian bbox and a bad resolution', async () => {
    const other = await http<Collection>('GET', `/v1/heatmap?bbox=8,47,9,48&${window}`, { tenant: stranger });
    expect(other.body.features).toEqual([]);
    const cases: [string, string][] = [
      [`/v1/heatmap?${window}`, 'REQUEST.INVALID'],
      [`/v1/heatmap?bbox=170,-10,-170,10&${window}`, 'QUERY.BBOX_INVALID'],
      [`/v1/heatmap?bbox=8,47,9,48&${window}&resolution=16`, 'REQUEST.INVALID'],
      [`/v1/heatmap?bbox=8,47,9,48&from=${iso(Date.now() - 40 * DAY)}`, 'QUERY.WINDOW_TOO_LONG'],
    ];
    for (const [path, code] of cases) {
      const res = await http<Problem>('GET', path, { tenant });
      expect({ path, status: res.status, code: res.body.code }).toEqual({ path, status: 400, code });
    }
  });
});
