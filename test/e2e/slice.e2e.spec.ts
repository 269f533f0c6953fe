import { randomUUID } from 'node:crypto';
import Redis from 'ioredis';
import { Client } from 'pg';
import { afterAll, beforeAll, describe, expect, it } from '@jest/globals';
import {
  api,
  authHeaders,
  e2eDatabaseUrl,
  type E2eSystem,
  eventually,
  http,
  pool,
  postOversize,
  redisUrl,
  startSystem,
} from './e2e-stack';

interface Feature {
  type: 'Feature';
  id: string;
  geometry: { type: 'Point'; coordinates: [number, number] } | null;
  properties: { name: string; kind: string; status: string; lastSeen: string | null; version: number };
}
interface Collection {
  type: 'FeatureCollection';
  features: Feature[];
}
interface Problem {
  code: string;
  status: number;
  title: string;
}
interface TelemetryResult {
  accepted: number;
  rejected: { index: number; code: string; detail: string }[];
}

const ASSETS = 2000;
const FIXES_PER_ASSET = 5;
const tenantA = `e2e-a-${randomUUID().slice(0, 6)}`;
const tenantB = `e2e-b-${randomUUID().slice(0, 6)}`;
const kinds = ['drone', 'vehicle', 'sensor', 'crew'] as const;

let system: E2eSystem;
let db: Client;

/** Deterministic position of fix k of asset i: inside a 1°×1° box around (8, 47). */
const position = (i: number, k: number): [number, number] => [
  +(7.5 + (i % 100) / 100 + k / 10000).toFixed(6),
  +(46.5 + Math.floor(i / 100) / 40).toFixed(6),
];
const tsOf = (k: number, base: number) => new Date(base - (FIXES_PER_ASSET - k) * 1000).toISOString();

beforeAll(async () => {
  system = await startSystem([tenantA, tenantB]);
  db = new Client({ connectionString: e2eDatabaseUrl });
  await db.connect();
}, 300_000);

afterAll(async () => {
  await db?.end();
  await system?.stop();
}, 120_000);

describe('the first slice through all five services', () => {
  const ids: string[] = [];
  const base = Date.now();

  it(`registers ${ASSETS} assets concurrently, each accepted with its stream version`, async () => {
    const results = await pool(Array.from({ length: ASSETS }), 64, (_, i) =>
      http<{ id: string; version?: number; status?: string }>('POST', '/v1/assets', {
        body: { name: `asset ${i}`, kind: kinds[i % 4] },
        tenant: tenantA,
      }),
    );
    ids.push(...results.map((r) => r.body.id));
    expect(new Set(ids).size).toBe(ASSETS);
    // 201 with version 1; on a loaded machine a command may outlive the gateway's timeout and be
    // answered 202 "pending" honestly; the next test proves those were applied too.
    expect(
      results.filter(
        (r) => !(r.status === 201 && r.body.version === 1) && !(r.status === 202 && r.body.status === 'pending'),
      ),
    ).toEqual([]);
    expect(results.filter((r) => r.status === 201).length).toBeGreaterThan(ASSETS / 2);
  }, 180_000);

  it(`ingests ${ASSETS * FIXES_PER_ASSET} fixes concurrently; every fix is accepted`, async () => {
    // Every registration, including any answered "pending", is visible before telemetry refers to it.
    await pool(ids, 32, (id) =>
      eventually(
        () => http('GET', `/v1/assets/${id}`, { tenant: tenantA }),
        (r) => r.status === 200,
        90_000,
      ),
    );
    const fixes = ids.flatMap((assetId, i) =>
      Array.from({ length: FIXES_PER_ASSET }, (_, k) => {
        const [lon, lat] = position(i, k);
        return { assetId, ts: tsOf(k, base), lon, lat, speed: k, heading: 90 };
      }),
    );
    // Shuffle so batches mix assets and arrive out of order.
    for (let i = fixes.length - 1; i > 0; i--) {
      const j = Math.floor(Math.random() * (i + 1));
      [fixes[i], fixes[j]] = [fixes[j], fixes[i]];
    }
    const batches = Array.from({ length: Math.ceil(fixes.length / 250) }, (_, b) =>
      fixes.slice(b * 250, b * 250 + 250),
    );
    const results = await pool(batches, 16, (batch) =>
      http<TelemetryResult>('POST', '/v1/telemetry', { body: { fixes: batch }, tenant: tenantA }),
    );
    expect(results.every((r) => r.status === 202)).toBe(true);
    expect(results.flatMap((r) => r.body.rejected)).toEqual([]);
    expect(results.reduce((n, r) => n + r.body.accepted, 0)).toBe(ASSETS * FIXES_PER_ASSET);
  }, 180_000);

  it('makes every asset queryable with its newest fix as the latest position', async () => {
    const features = await pool(ids, 32, (id, i) =>
      eventually(
        () => http<Feature>('GET', `/v1/assets/${id}`, { tenant: tenantA }),
        (r) => r.status === 200 && r.body.properties.lastSeen === tsOf(FIXES_PER_ASSET - 1, base),
        90_000,
      ).then((r) => ({ r, i })),
    );
    for (const { r, i } of features) {
      expect(r.status).toBe(200);
      expect(r.contentType).toContain('application/geo+json');
      expect(r.body.geometry?.coordinates).toEqual(position(i, FIXES_PER_ASSET - 1));
      expect(r.body.properties).toMatchObject({
        name: `asset ${i}`,
        kind: kinds[i % 4],
        status: 'registered',
        version: 1,
      });
    }
    const stored = await db.query<{ n: string }>(
      'SELECT count(*) AS n FROM read.positions WHERE asset_id = ANY($1::uuid[])',
      [ids],
    );
    expect(Number(stored.rows[0].n)).toBe(ASSETS * FIXES_PER_ASSET);
  }, 300_000);

  it('answers a bbox query with exactly the assets inside it', async () => {
    // Row 0 of the grid: assets 0..99 at lat 46.5; the box takes lon 7.5..7.995 of them (i % 100 < 50).
    const res = await http<Collection>('GET', '/v1/assets?bbox=7.49,46.49,7.9949,46.51&limit=1000', {
      tenant: tenantA,
    });
    expect(res.status).toBe(200);
    const expected = ids.filter((_, i) => i < 100 && i % 100 < 50).sort();
    expect(res.body.features.map((f) => f.id).sort()).toEqual(expected);
  });

  it('keeps the newest position when a late fix arrives, and stores a repeated fix once', async () => {
    const id = ids[0];
    const late = { assetId: id, ts: new Date(base - 3_600_000).toISOString(), lon: 1, lat: 1 };
    const newest = {
      assetId: id,
      ts: tsOf(FIXES_PER_ASSET - 1, base),
      lon: position(0, FIXES_PER_ASSET - 1)[0],
      lat: position(0, FIXES_PER_ASSET - 1)[1],
    };
    const res = await http<TelemetryResult>('POST', '/v1/telemetry', {
      body: { fixes: [late, newest, newest] },
      tenant: tenantA,
    });
    expect(res.body).toEqual({ accepted: 3, rejected: [] });
    const rows = await eventually(
      () => db.query<{ n: string }>('SELECT count(*) AS n FROM read.positions WHERE asset_id = $1', [id]),
      (r) => Number(r.rows[0].n) === FIXES_PER_ASSET + 1,
      30_000,
    );
    expect(Number(rows.rows[0].n)).toBe(FIXES_PER_ASSET + 1); // the late fix landed; the repeat did not
    const feature = await http<Feature>('GET', `/v1/assets/${id}`, { tenant: tenantA });
    expect(feature.body.geometry?.coordinates).toEqual(position(0, FIXES_PER_ASSET - 1));
  }, 60_000);

  it('accepts NDJSON telemetry, one fix per line, rejecting bad lines alone', async () => {
    const ts = new Date(base + 1000).toISOString();
    const lines = [
      JSON.stringify({ assetId: ids[1], ts, lon: 9, lat: 48 }),
      '{not json',
      JSON.stringify({ assetId: ids[1], ts, lon: 200, lat: 48 }),
    ].join('\n');
    const res = await http<TelemetryResult>('POST', '/v1/telemetry', {
      raw: lines,
      headers: { 'content-type': 'application/x-ndjson' },
      tenant: tenantA,
    });
    expect(res.status).toBe(202);
    expect(res.body.accepted).toBe(1);
    expect(res.body.rejected.map((r) => [r.index, r.code])).toEqual([
      [1, 'REQUEST.MALFORMED_JSON'],
      [2, 'TELEMETRY.COORDINATES_OUT_OF_RANGE'],
    ]);
    const feature = await eventually(
      () => http<Feature>('GET', `/v1/assets/${ids[1]}`, { tenant: tenantA }),
      (r) => r.body.properties?.lastSeen === ts,
      30_000,
    );
    expect(feature.body.geometry?.coordinates).toEqual([9, 48]);
  }, 60_000);

  it("keeps tenants apart: one tenant never sees another's assets", async () => {
    const other = await http<Problem>('GET', `/v1/assets/${ids[0]}`, { tenant: tenantB });
    expect(other.status).toBe(404);
    expect(other.body.code).toBe('ASSET.NOT_FOUND');
    const list = await http<Collection>('GET', '/v1/assets?limit=1000', { tenant: tenantB });
    expect(list.status).toBe(200);
    expect(list.body.features).toEqual([]);
    const telemetry = await http<TelemetryResult>('POST', '/v1/telemetry', {
      body: { fixes: [{ assetId: ids[0], ts: new Date().toISOString(), lon: 0, lat: 0 }] },
      tenant: tenantB,
    });
    expect(telemetry.body.rejected[0]?.code).toBe('ASSET.UNKNOWN');
  });

  it('replays the first answer for a repeated Idempotency-Key and registers the asset once', async () => {
    const key = `e2e-${randomUUID()}`;
    const first = await http<{ id: string; version: number }>('POST', '/v1/assets', {
      body: { name: 'idem', kind: 'drone' },
      headers: { 'idempotency-key': key },
      tenant: tenantA,
    });
    const second = await http<{ id: string; version: number }>('POST', '/v1/assets', {
      body: { name: 'idem', kind: 'drone' },
      headers: { 'idempotency-key': key },
      tenant: tenantA,
    });
    expect(first.status).toBe(201);
    expect(second).toEqual(first);
    const reused = await http<Problem>('POST', '/v1/assets', {
      body: { name: 'other', kind: 'drone' },
      headers: { 'idempotency-key': key },
      tenant: tenantA,
    });
    expect(reused.body.code).toBe('IDEMPOTENCY.KEY_REUSED');
    // Redis is a cache: with the entry gone, the retry is deduplicated by the event store (event ids derive from
    // the key).
    const redis = new Redis(redisUrl);
    expect(await redis.del(`meridian:gateway:idem:${tenantA}:${key}`)).toBe(1);
    redis.disconnect();
    const afterLoss = await http<{ id: string; version: number }>('POST', '/v1/assets', {
      body: { name: 'idem', kind: 'drone' },
      headers: { 'idempotency-key': key },
      tenant: tenantA,
    });
    expect(afterLoss.status).toBe(201);
    expect(afterLoss.body).toEqual(first.body);
    const events = await db.query<{ n: string }>(`SELECT count(*) AS n FROM workflow.events WHERE stream_id = $1`, [
      `asset-${first.body.id}`,
    ]);
    expect(Number(events.rows[0].n)).toBe(1);
  });
});

describe('bad input', () => {
  const countEvents = async () =>
    Number((await db.query<{ n: string }>('SELECT count(*) AS n FROM workflow.events')).rows[0].n);

  const cases: [string, number, string, () => Promise<{ status: number; contentType: string; body: unknown }>][] = [
    [
      'malformed JSON',
      400,
      'REQUEST.MALFORMED_JSON',
      () =>
        http('POST', '/v1/assets', {
          raw: '{"name": "x",',
          headers: { 'content-type': 'application/json' },
          tenant: tenantA,
        }),
    ],
    [
      'unknown kind',
      400,
      'REQUEST.INVALID',
      () => http('POST', '/v1/assets', { body: { name: 'x', kind: 'boat' }, tenant: tenantA }),
    ],
    [
      'unknown field',
      400,
      'REQUEST.INVALID',
      () => http('POST', '/v1/assets', { body: { name: 'x', kind: 'drone', admin: true }, tenant: tenantA }),
    ],
    [
      'missing name',
      400,
      'REQUEST.INVALID',
      () => http('POST', '/v1/assets', { body: { kind: 'drone' }, tenant: tenantA }),
    ],
    [
      'injection string as name is just a name',
      201,
      '',
      () =>
        http('POST', '/v1/assets', {
          body: { name: "x'); DROP TABLE workflow.events;--", kind: 'sensor' },
          tenant: tenantA,
        }),
    ],
    [
      'wrong media type',
      415,
      'REQUEST.UNSUPPORTED_MEDIA_TYPE',
      () => http('POST', '/v1/assets', { raw: 'name=x', headers: { 'content-type': 'text/plain' }, tenant: tenantA }),
    ],
    [
      'oversize body',
      413,
      'REQUEST.TOO_LARGE',
      async () =>
        postOversize('/v1/telemetry', Buffer.alloc(600 * 1024, 'a'), {
          'content-type': 'application/json',
          ...(await authHeaders(tenantA)),
        }),
    ],
    ['no token', 401, 'AUTH.TOKEN_MISSING', () => http('GET', '/v1/assets', { anonymous: true })],
    [
      'a forged token',
      401,
      'AUTH.TOKEN_INVALID',
      () => http('GET', '/v1/assets', { anonymous: true, headers: { authorization: 'Bearer e30.e30.c2ln' } }),
    ],
    ['bad bbox', 400, 'QUERY.BBOX_INVALID', () => http('GET', '/v1/assets?bbox=1,2,3', { tenant: tenantA })],
    ['limit out of range', 400, 'REQUEST.INVALID', () => http('GET', '/v1/assets?limit=0', { tenant: tenantA })],
    ['inverted bbox', 400, 'QUERY.BBOX_INVALID', () => http('GET', '/v1/assets?bbox=10,10,0,0', { tenant: tenantA })],
    ['asset id not a uuid', 400, 'REQUEST.INVALID', () => http('GET', '/v1/assets/abc', { tenant: tenantA })],
    ['unknown asset', 404, 'ASSET.NOT_FOUND', () => http('GET', `/v1/assets/${randomUUID()}`, { tenant: tenantA })],
    ['unknown route', 404, 'REQUEST.NOT_FOUND', () => http('GET', '/v1/nothing', { tenant: tenantA })],
    [
      'telemetry without fixes array',
      400,
      'REQUEST.INVALID',
      () => http('POST', '/v1/telemetry', { body: { fix: [] }, tenant: tenantA }),
    ],
    [
      'too many fixes',
      413,
      'TELEMETRY.TOO_MANY_FIXES',
      () =>
        http('POST', '/v1/telemetry', { body: { fixes: Array.from({ length: 10_001 }, () => ({})) }, tenant: tenantA }),
    ],
  ];

  it.each(cases)('%s → %i %s', async (_name, status, code, send) => {
    const before = await countEvents();
    const res = await send();
    expect(res.status).toBe(status);
    if (status >= 400) {
      expect(res.contentType).toContain('application/problem+json');
      expect((res.body as Problem).code).toBe(code);
      expect((res.body as Problem).status).toBe(status);
      expect(await countEvents()).toBe(before); // nothing written
    }
  });

  it('rejects each bad fix by index with a stable code and keeps the good ones', async () => {
    const [asset] = (await http<Collection>('GET', '/v1/assets?limit=1', { tenant: tenantA })).body.features;
    const now = Date.now();
    const fixes = [
      { assetId: asset.id, ts: new Date(now).toISOString(), lon: 8, lat: 47 },
      { assetId: asset.id, ts: new Date(now).toISOString(), lon: 181, lat: 47 },
      { assetId: asset.id, ts: new Date(now).toISOString(), lon: 8, lat: -91 },
      { assetId: asset.id, ts: 'yesterday', lon: 8, lat: 47 },
      { assetId: asset.id, ts: new Date(now + 3_600_000).toISOString(), lon: 8, lat: 47 },
      { assetId: randomUUID(), ts: new Date(now).toISOString(), lon: 8, lat: 47 },
      { assetId: asset.id, ts: new Date(now).toISOString(), lon: '8', lat: 47 },
      'not an object',
    ];
    const res = await http<TelemetryResult>('POST', '/v1/telemetry', { body: { fixes }, tenant: tenantA });
    expect(res.status).toBe(202);
    expect(res.body.accepted).toBe(1);
    expect(res.body.rejected.map((r) => [r.index, r.code])).toEqual([
      [1, 'TELEMETRY.COORDINATES_OUT_OF_RANGE'],
      [2, 'TELEMETRY.COORDINATES_OUT_OF_RANGE'],
      [3, 'TELEMETRY.BAD_TIMESTAMP'],
      [4, 'TELEMETRY.BAD_TIMESTAMP'],
      [5, 'ASSET.UNKNOWN'],
      [6, 'TELEMETRY.FIX_INVALID'],
      [7, 'TELEMETRY.FIX_INVALID'],
    ]);
  });
});

describe('operability', () => {
  it('serves its OpenAPI document and the docs UI', async () => {
    const doc = await http<{ openapi: string; paths: Record<string, unknown> }>('GET', '/openapi.json');
    expect(doc.status).toBe(200);
    expect(doc.body.openapi).toBe('3.1.0');
    const paths = [
      '/internal/refusals',
      '/internal/timings',
      '/ogc',
      '/ogc/api',
      '/ogc/collections',
      '/ogc/collections/{collectionId}',
      '/ogc/collections/{collectionId}/items',
      '/ogc/collections/{collectionId}/items/{featureId}',
      '/ogc/conformance',
      '/v1/admin/signing-keys/rotate',
      '/v1/assets',
      '/v1/assets/nearest',
      '/v1/assets/{id}',
      '/v1/assets/{id}/track',
      '/v1/assets/{id}/visits',
      '/v1/audit',
      '/v1/exports',
      '/v1/exports/{id}',
      '/v1/exports/{id}/download',
      '/v1/heatmap',
      '/v1/missions',
      '/v1/missions/{id}',
      '/v1/missions/{id}/events/{event}',
      '/v1/missions/{id}/history',
      '/v1/service-accounts',
      '/v1/service-accounts/{clientId}',
      '/v1/service-accounts/{clientId}/membership',
      '/v1/stream',
      '/v1/telemetry',
      '/v1/tenants',
      '/v1/tiles/{layer}/{z}/{x}/{y}.mvt',
      '/v1/users',
      '/v1/users/{id}',
      '/v1/users/{id}/membership',
      '/v1/webhooks',
      '/v1/webhooks/{id}',
      '/v1/webhooks/{id}/deliveries',
      '/v1/webhooks/{id}/deliveries/{deliveryId}/replay',
      '/v1/webhooks/{id}/rotate-secret',
      '/v1/workflow-definitions',
      '/v1/zones',
      '/v1/zones/{id}',
      '/v1/zones/{id}/assets',
      '/v1/zones/{id}/visits',
    ];
    expect(Object.keys(doc.body.paths).sort()).toEqual(paths);
    const ui = await http<string>('GET', '/docs');
    expect(ui.status).toBe(200);
    expect(ui.body).toContain('swagger');
  });

  it('reports every service live and ready', async () => {
    for (const service of system.stack.services) {
      const live = await fetch(`http://127.0.0.1:${service.port}/health/live`);
      const ready = await fetch(`http://127.0.0.1:${service.port}/health/ready`);
      expect([service.name, live.status, ready.status]).toEqual([service.name, 200, 200]);
      expect(await ready.json()).toMatchObject({ status: 'ready', postgres: 'up', redis: 'up', kafka: 'up' });
    }
  });

  const correlationInLogs =
    'echoes the correlation id and writes it into the JSON logs of the services that handled the request';
  it(correlationInLogs, async () => {
    const correlationId = `e2e-corr-${randomUUID()}`;
    const res = await fetch(`${api}/v1/assets`, {
      method: 'POST',
      headers: {
        'content-type': 'application/json',
        ...(await authHeaders(tenantA)),
        'x-correlation-id': correlationId,
      },
      body: JSON.stringify({ name: 'traced', kind: 'drone' }),
    });
    expect(res.status).toBe(201);
    expect(res.headers.get('x-correlation-id')).toBe(correlationId);
    const stored = await db.query<{ metadata: { correlationId?: string } }>(
      `SELECT metadata FROM workflow.events ORDER BY global_position DESC LIMIT 1`,
    );
    expect(stored.rows[0].metadata.correlationId).toBe(correlationId);
  });
});
