import { randomUUID } from 'node:crypto';
import { afterAll, beforeAll, describe, expect, it } from '@jest/globals';
import { squarePolygon } from '@meridian/shared/geometry';
import { readSse, type SseMessage, type SseReader } from '@meridian/shared/testing';
import { api, authHeaders, type E2eSystem, eventually, http, registerAssets, startSystem } from './e2e-stack';

/*
 * The live stream through the whole system: fixes posted to the gateway reach projection (geofence
 * events) and the gateway's relay (positions); two clients with different bboxes each get exactly
 * their events, another tenant's never; a client that reconnects with Last-Event-ID misses nothing.
 */

const tenant = `e2e-s-${randomUUID().slice(0, 6)}`;
const other = `e2e-so-${randomUUID().slice(0, 6)}`;
let system: E2eSystem;

const WEST = '8.0,47.0,9.0,48.0';
const EAST = '10.0,47.0,11.0,48.0';

interface Data {
  assetId: string;
  zoneId?: string;
  lon: number;
  lat: number;
  ts: string;
}
const dataOf = (m: SseMessage): Data => JSON.parse(m.data) as Data;
const named = (events: readonly SseMessage[], name: string) => events.filter((e) => e.event === name);

const open = async (bbox: string | null, headers: Record<string, string> = {}): Promise<SseReader> =>
  readSse(`${api}/v1/stream?${bbox === null ? '' : `bbox=${bbox}&`}types=position,geofence`, {
    ...(await authHeaders(tenant)),
    ...headers,
  });

let t0 = Date.now() - 60_000;
const nextTs = () => new Date((t0 += 1000)).toISOString();
const post = async (t: string, assetId: string, lon: number, lat: number) => {
  const res = await http<{ accepted: number }>('POST', '/v1/telemetry', {
    tenant: t,
    body: { fixes: [{ assetId, ts: nextTs(), lon, lat }] },
  });
  expect(res.body.accepted).toBe(1);
};

beforeAll(async () => {
  system = await startSystem([tenant, other]);
}, 300_000);

afterAll(async () => {
  await system?.stop();
}, 120_000);

describe('GET /v1/stream (Server-Sent Events)', () => {
  it('refuses a bad bbox, unknown types and a token in the URL with problem+json before streaming', async () => {
    for (const [query, code] of [
      ['bbox=1,2,3', 'QUERY.BBOX_INVALID'],
      ['types=position,weather', 'REQUEST.INVALID'],
      ['access_token=abc', 'REQUEST.INVALID'],
    ]) {
      const res = await http<{ code: string }>('GET', `/v1/stream?${query}`, { tenant });
      expect([res.status, res.contentType.split(';')[0], res.body.code]).toEqual([
        400,
        'application/problem+json',
        code,
      ]);
    }
    const resumed = await http<{ code: string }>('GET', '/v1/stream', {
      tenant,
      headers: { 'last-event-id': 'nope' },
    });
    expect(resumed.status).toBe(400);
  });

  it('two clients with different bboxes each get exactly their events; Last-Event-ID misses nothing', async () => {
    const zones = await Promise.all(
      [
        { name: 'West depot', lon: 8.5 },
        { name: 'East depot', lon: 10.5 },
      ].map(async ({ name, lon }) => {
        const created = await http<{ id: string }>('POST', '/v1/zones', {
          tenant,
          body: { name, kind: 'geofence', geometry: squarePolygon(lon, 47.3, 0.1), sensitivity: 1 },
        });
        expect(created.status).toBe(201);
        return created.body.id;
      }),
    );
    // Geofencing starts once projection has the zones.
    for (const id of zones) {
      await eventually(
        () => http('GET', `/v1/zones/${id}`, { tenant }),
        (r) => r.status === 200,
      );
    }
    const [west, east] = await registerAssets(2, tenant, 'Stream');
    const [stranger] = await registerAssets(1, other, 'Other tenant');

    const westClient = await open(WEST);
    const eastClient = await open(EAST);
    // Everywhere: tells when the west asset's later events are in the tenant's Redis stream.
    const watcher = await open(null);
    expect([westClient.status, eastClient.status, watcher.status]).toEqual([200, 200, 200]);
    expect(westClient.contentType).toMatch(/^text\/event-stream/);

    // Into each zone; the other tenant's asset moves in the west box too.
    await post(tenant, west, 8.4, 47.35);
    await post(tenant, east, 10.4, 47.35);
    await post(other, stranger, 8.45, 47.35);
    await post(tenant, west, 8.55, 47.35);
    await post(tenant, east, 10.55, 47.35);

    const entered = (assetId: string) => (events: readonly SseMessage[]) =>
      named(events, 'geofence.entered').some((e) => dataOf(e).assetId === assetId) &&
      named(events, 'position').some(
        (e) => dataOf(e).assetId === assetId && dataOf(e).lon > 8.5 + (assetId === east ? 2 : 0),
      );
    const seenWest = await westClient.until(entered(west), 60_000);
    await eastClient.until(entered(east), 60_000);

    // The west client goes away after what it has seen; meanwhile the asset leaves the zone.
    const lastId = [...seenWest].reverse().find((e) => e.id !== undefined)?.id ?? '';
    westClient.close();
    await post(tenant, west, 8.7, 47.35);
    await post(tenant, east, 10.7, 47.35);
    const eastEvents = await eastClient.until(
      (events) =>
        named(events, 'geofence.exited').length === 1 && named(events, 'position').some((e) => dataOf(e).lon === 10.7),
      60_000,
    );

    // Only once the west exit and the 8.7 position are in the stream does the resume start, so they
    // can only reach it by the replay after Last-Event-ID, never live.
    await watcher.until(
      (events) =>
        named(events, 'geofence.exited').some((e) => dataOf(e).assetId === west) &&
        named(events, 'position').some((e) => dataOf(e).assetId === west && dataOf(e).lon === 8.7),
      60_000,
    );
    watcher.close();
    const resumed = await open(WEST, { 'last-event-id': lastId });
    const westAfter = await resumed.until(
      (events) =>
        named(events, 'geofence.exited').length === 1 && named(events, 'position').some((e) => dataOf(e).lon === 8.7),
      60_000,
    );
    eastClient.close();
    resumed.close();

    const westEvents = [...seenWest, ...westAfter];
    // Exactly their own: assets, points in their box, zones, and never the other tenant's.
    for (const [events, assetId, zoneId, [minLon, maxLon]] of [
      [westEvents, west, zones[0], [8, 9]],
      [eastEvents, east, zones[1], [10, 11]],
    ] as const) {
      const data = events.filter((e) => e.id !== undefined).map(dataOf);
      expect(new Set(data.map((d) => d.assetId))).toEqual(new Set([assetId]));
      expect(data.every((d) => d.lon >= minLon && d.lon <= maxLon)).toBe(true);
      expect(named(events, 'geofence.entered').map((e) => dataOf(e).zoneId)).toEqual([zoneId]);
      expect(named(events, 'geofence.exited').map((e) => dataOf(e).zoneId)).toEqual([zoneId]);
      // The newest position of each move arrives (throttled, the newest wins).
      expect(
        named(events, 'position')
          .map((e) => dataOf(e).lon)
          .slice(-1),
      ).toEqual([minLon === 8 ? 8.7 : 10.7]);
    }
    // The resume starts right after the last id seen: no gap, nothing twice, in order.
    expect(named(westAfter, 'gap')).toEqual([]);
    const ids = westEvents.filter((e) => e.id !== undefined).map((e) => e.id ?? '');
    expect(new Set(ids).size).toBe(ids.length);
    const order = ids.map((id) => id.split('-').map(Number));
    expect(
      order.every((x, i) => i === 0 || x[0] > order[i - 1][0] || (x[0] === order[i - 1][0] && x[1] > order[i - 1][1])),
    ).toBe(true);
  }, 240_000);
});
