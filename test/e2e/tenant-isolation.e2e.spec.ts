import { randomUUID } from 'node:crypto';
import { afterAll, beforeAll, describe, expect, it } from '@jest/globals';
import { squarePolygon } from '@meridian/shared/geometry';
import { readSse } from '@meridian/shared/testing';
import { api, authHeaders, type E2eSystem, eventually, http, registerAssets, startSystem } from './e2e-stack';

/*
 * Tenant isolation on every route (issue 9, item 6): tenant A owns an asset with telemetry and a
 * zone; tenant B's administrator then calls EVERY operation of the published OpenAPI document —
 * a route added later is swept without an edit here — with A's ids in the path and query values
 * that would match A's data. No answer to B may carry any of A's ids, and afterwards A's asset and
 * zone are exactly as they were. The live stream is watched by both while A reports a fix.
 */

const tenantA = `e2e-ia-${randomUUID().slice(0, 6)}`;
const tenantB = `e2e-ib-${randomUUID().slice(0, 6)}`;
let system: E2eSystem;

const spot = { lon: 8.5417, lat: 47.3769 };

interface Operation {
  readonly path: string;
  readonly method: string;
  readonly parameters: readonly { name: string; in: string; required?: boolean }[];
  readonly public: boolean;
}

interface OpenApi {
  readonly paths: Record<string, Record<string, { parameters?: Operation['parameters']; security?: unknown[] }>>;
}

/** The XYZ tile containing a point. */
function tileOf(z: number, lon: number, lat: number): { z: number; x: number; y: number } {
  const n = 2 ** z;
  const rad = (lat * Math.PI) / 180;
  const x = Math.floor(((lon + 180) / 360) * n);
  const y = Math.floor(((1 - Math.log(Math.tan(rad) + 1 / Math.cos(rad)) / Math.PI) / 2) * n);
  return { z, x, y };
}

/** The body, or what arrived of it within `ms` (a live stream never ends by itself). */
async function readFor(res: Response, ms: number): Promise<Buffer> {
  const chunks: Uint8Array[] = [];
  const reader = res.body?.getReader();
  if (!reader) return Buffer.alloc(0);
  const timer = setTimeout(() => void reader.cancel(), ms);
  try {
    for (;;) {
      const { done, value } = await reader.read();
      if (done) break;
      chunks.push(value);
    }
  } catch {
    // cancelled at the deadline: keep what came
  } finally {
    clearTimeout(timer);
  }
  return Buffer.concat(chunks);
}

/**
 * An answer's content without what echoes the request: links (`self`, `next`, their `href`) and a
 * problem's `instance` repeat the URL B sent, with A's ids in it, and reveal nothing.
 */
function withoutEchoes(bytes: Buffer): string {
  const text = bytes.toString('latin1');
  try {
    return JSON.stringify(JSON.parse(bytes.toString('utf8')), (key, value: unknown) =>
      key === 'links' || key === 'href' || key === 'instance' ? undefined : value,
    );
  } catch {
    return text; // a tile or another binary answer: searched as it is
  }
}

beforeAll(async () => {
  system = await startSystem([tenantA, tenantB]);
}, 300_000);

afterAll(async () => {
  await system?.stop();
}, 120_000);

describe('tenant isolation: every operation of the OpenAPI document, the tiles and the stream', () => {
  let assetId = '';
  let zoneId = '';
  let zoneVersion = 0;
  const fixTime = new Date(Date.now() - 5 * 60_000).toISOString();
  const from = new Date(Date.now() - 60 * 60_000).toISOString();
  const to = new Date(Date.now() + 60_000).toISOString();

  /** A's resources as A sees them: the sweep must leave them exactly so. */
  const snapshotOfA = async () => ({
    asset: (await http<unknown>('GET', `/v1/assets/${assetId}`, { tenant: tenantA })).body,
    zone: (await http<unknown>('GET', `/v1/zones/${zoneId}`, { tenant: tenantA })).body,
    assets: (await http<{ features: unknown[] }>('GET', '/v1/assets?limit=1000', { tenant: tenantA })).body.features
      .length,
  });

  beforeAll(async () => {
    [assetId] = await registerAssets(1, tenantA, 'Isolated drone');
    const fixes = [{ assetId, ts: fixTime, ...spot }];
    expect((await http('POST', '/v1/telemetry', { tenant: tenantA, body: { fixes } })).status).toBe(202);
    const zone = await http<{ id: string; version: number }>('POST', '/v1/zones', {
      tenant: tenantA,
      body: { name: 'A depot', kind: 'geofence', geometry: squarePolygon(8.5, 47.3, 0.2) },
    });
    expect(zone.status).toBe(201);
    zoneId = zone.body.id;
    zoneVersion = zone.body.version;
    // A sees its own data everywhere B will look (so an empty answer to B means isolation, not lag).
    await eventually(
      () => http<{ features: unknown[] }>('GET', `/v1/assets?bbox=8,47,9,48`, { tenant: tenantA }),
      (r) => r.body.features?.length === 1,
    );
    await eventually(
      () => http<{ features: unknown[] }>('GET', `/ogc/collections/zones/items`, { tenant: tenantA }),
      (r) => r.body.features?.length === 1,
    );
  }, 120_000);

  it('no operation answers B with any of A’s data, and none changes A’s resources', async () => {
    const doc = (await http<OpenApi>('GET', '/openapi.json', { anonymous: true })).body;
    const operations: Operation[] = Object.entries(doc.paths).flatMap(([path, methods]) =>
      Object.entries(methods)
        .filter(([method]) => ['get', 'post', 'put', 'patch', 'delete'].includes(method))
        .map(([method, op]) => ({
          path,
          method: method.toUpperCase(),
          parameters: op.parameters ?? [],
          public: Array.isArray(op.security) && op.security.length === 0,
        })),
    );
    expect(operations.length).toBeGreaterThan(20);
    const before = await snapshotOfA();
    const tile = tileOf(12, spot.lon, spot.lat);
    /** A value for each path parameter: A's ids, and a tile over A's data. */
    const pathValue = (path: string, name: string): string => {
      if (name === 'layer') return 'positions';
      if (name === 'z' || name === 'x' || name === 'y') return String(tile[name]);
      if (name === 'collectionId') return 'assets';
      if (path.startsWith('/v1/zones') && name === 'id') return zoneId;
      return assetId;
    };
    /** Query values that would select A's data if tenancy leaked. */
    const queryValues: Record<string, string> = {
      bbox: '8,47,9,48',
      from,
      to,
      at: fixTime,
      datetime: `${from}/${to}`,
      lon: String(spot.lon),
      lat: String(spot.lat),
      resource: assetId,
    };
    const swept: string[] = [];
    for (const op of operations.filter((o) => !o.public)) {
      const path = op.path.replace(/\{([^}]+)\}/g, (_, name: string) => pathValue(op.path, name));
      const query = new URLSearchParams();
      for (const p of op.parameters)
        if (p.in === 'query' && queryValues[p.name]) query.set(p.name, queryValues[p.name]);
      const url = `${path}${query.size ? `?${query}` : ''}`;
      const body = ['POST', 'PUT', 'PATCH'].includes(op.method) ? {} : undefined;
      const res = await fetch(`${api}${url}`, {
        method: op.method,
        headers: {
          ...(await authHeaders(tenantB)),
          ...(body ? { 'content-type': 'application/json' } : {}),
          ...(op.path.includes('{id}') && op.method !== 'GET' ? { 'if-match': `"${zoneVersion}"` } : {}),
        },
        ...(body ? { body: JSON.stringify(body) } : {}),
      });
      const bytes = await readFor(res, 2000);
      const text = withoutEchoes(bytes);
      swept.push(`${op.method} ${op.path} → ${res.status}`);
      // A refusal may echo the id B asked for (the problem's detail and instance); an answer may not hold it.
      const secrets = res.status < 300 ? [assetId, zoneId, tenantA] : [tenantA];
      const leaked = secrets.filter((s) => text.includes(s));
      expect({ op: `${op.method} ${url}`, leaked }).toEqual({ op: `${op.method} ${url}`, leaked: [] });
      expect({ op: `${op.method} ${url}`, status: res.status < 500 }).toEqual({
        op: `${op.method} ${url}`,
        status: true,
      });
    }
    process.stderr.write(`[isolation] swept ${swept.length} operations as tenant B:\n  ${swept.join('\n  ')}\n`);
    expect(await snapshotOfA()).toEqual(before);
  }, 180_000);

  it('B’s live stream carries nothing of A while A’s carries A’s fix', async () => {
    const url = `${api}/v1/stream?types=position`;
    const mine = await readSse(url, await authHeaders(tenantA));
    const theirs = await readSse(url, await authHeaders(tenantB));
    try {
      expect([mine.status, theirs.status]).toEqual([200, 200]);
      const fixes = [{ assetId, ts: new Date().toISOString(), ...spot }];
      expect((await http('POST', '/v1/telemetry', { tenant: tenantA, body: { fixes } })).status).toBe(202);
      await mine.until((events) => events.some((e) => e.event === 'position' && e.data.includes(assetId)), 30_000);
      // A's stream got it; B's, fed by the same relay, had the same time to and must not have.
      expect(theirs.events.filter((e) => e.data.includes(assetId) || e.data.includes(tenantA))).toEqual([]);
    } finally {
      mine.close();
      theirs.close();
    }
  }, 60_000);
});
