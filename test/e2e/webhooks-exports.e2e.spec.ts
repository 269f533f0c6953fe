import { createHmac, randomUUID } from 'node:crypto';
import { createServer, get, type IncomingHttpHeaders, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import { gunzipSync } from 'node:zlib';
import { afterAll, beforeAll, describe, expect, it } from '@jest/globals';
import { TokenSource } from '@meridian/shared/testing';
import { api, authHeaders, type E2eSystem, eventually, http, issuer, registerAssets, startSystem } from './e2e-stack';

/*
 * Webhooks and exports through the public API, with every service running: a subscription receives a
 * signed geofence event when telemetry crosses a zone, the delivery log shows the attempt, and an
 * export of the asset's positions downloads (gzip or not) with exactly the fixes that were posted.
 */

const tenant = `e2e-wh-${randomUUID().slice(0, 6)}`;
let system: E2eSystem;
let receiver: Server;
let hookUrl = '';
const received: { headers: IncomingHttpHeaders; body: string }[] = [];

interface Problem {
  code: string;
  detail: string;
}
interface WebhookBody {
  id: string;
  url: string;
  events: string[];
  paused: boolean;
  secret?: string;
}
interface ExportBody {
  id: string;
  state: string;
  rowsWritten: number;
  percent: number;
  download: { href: string; name: string; contentType: string; bytes: number } | null;
}

const square = (lon: number, lat: number, size: number) => ({
  type: 'Polygon',
  coordinates: [
    [
      [lon, lat],
      [lon + size, lat],
      [lon + size, lat + size],
      [lon, lat + size],
      [lon, lat],
    ],
  ],
});

/** GET `url` with node:http, which (unlike fetch) leaves a gzip body as it came. */
function download(
  url: string,
  headers: Record<string, string>,
): Promise<{ headers: IncomingHttpHeaders; body: Buffer }> {
  return new Promise((resolve, reject) => {
    get(url, { headers }, (res) => {
      const chunks: Buffer[] = [];
      res.on('data', (d: Buffer) => chunks.push(d));
      res.on('end', () => resolve({ headers: res.headers, body: Buffer.concat(chunks) }));
      res.on('error', reject);
    }).on('error', reject);
  });
}

/** Standard Webhooks verification, written from the specification (not Meridian's signer). */
function verifies(secret: string, headers: IncomingHttpHeaders, body: string): boolean {
  const key = Buffer.from(secret.replace(/^whsec_/, ''), 'base64');
  const signed = `${String(headers['webhook-id'])}.${String(headers['webhook-timestamp'])}.${body}`;
  const expected = `v1,${createHmac('sha256', key).update(signed).digest('base64')}`;
  return String(headers['webhook-signature'] ?? '')
    .split(' ')
    .includes(expected);
}

beforeAll(async () => {
  receiver = createServer((req, res) => {
    let body = '';
    req.on('data', (chunk: Buffer) => (body += chunk.toString()));
    req.on('end', () => {
      received.push({ headers: req.headers, body });
      res.writeHead(204).end();
    });
  });
  await new Promise<void>((resolve) => receiver.listen(0, '127.0.0.1', resolve));
  hookUrl = `http://127.0.0.1:${(receiver.address() as AddressInfo).port}/hooks/meridian`;
  system = await startSystem([tenant]);
}, 300_000);

afterAll(async () => {
  await system?.stop();
  await new Promise((resolve) => receiver?.close(resolve));
}, 120_000);

describe('webhooks through the API', () => {
  let webhook: WebhookBody;
  let assetId = '';
  const base = Date.now() - 5 * 60 * 1000;
  const at = (s: number): string => new Date(base + s * 1000).toISOString();

  it('subscribes a loopback receiver in development mode; the secret is shown once', async () => {
    const created = await http<WebhookBody>('POST', '/v1/webhooks', {
      tenant,
      body: { url: hookUrl, events: ['geofence.*'], description: 'e2e receiver' },
    });
    expect(created.status).toBe(201);
    expect(created.body.secret).toMatch(/^whsec_[A-Za-z0-9+/]{32}$/);
    webhook = created.body;
    const read = await http<WebhookBody>('GET', `/v1/webhooks/${webhook.id}`, { tenant });
    expect(read.status).toBe(200);
    expect(read.body).toMatchObject({ id: webhook.id, url: hookUrl, events: ['geofence.*'], paused: false });
    expect(read.body).not.toHaveProperty('secret');
  });

  it('refuses private targets even in development mode, and callers without webhooks:admin', async () => {
    const privateTarget = await http<Problem>('POST', '/v1/webhooks', {
      tenant,
      body: { url: 'https://10.1.2.3/hook', events: ['*'] },
    });
    expect([privateTarget.status, privateTarget.body.code]).toEqual([400, 'WEBHOOK.TARGET_FORBIDDEN']);
    const badFilter = await http<Problem>('POST', '/v1/webhooks', {
      tenant,
      body: { url: hookUrl, events: ['Geofence Entered'] },
    });
    expect([badFilter.status, badFilter.body.code]).toEqual([400, 'REQUEST.INVALID']);
    const viewer = await http<{ clientId: string; clientSecret: string }>('POST', '/v1/service-accounts', {
      tenant,
      body: { clientId: `viewer-${randomUUID().slice(0, 6)}`, name: 'Viewer', roles: ['viewer'] },
    });
    expect(viewer.status).toBe(201);
    const tokens = new TokenSource({ issuer, clientId: viewer.body.clientId, clientSecret: viewer.body.clientSecret });
    const refused = await eventually(
      async () => {
        const headers = await tokens.headers().catch(() => null);
        return headers ? (await fetch(`${api}/v1/webhooks`, { headers })).status : 0;
      },
      (status) => status === 403,
      30_000,
    );
    expect(refused).toBe(403);
  });

  it('delivers a signed geofence.entered when telemetry crosses a zone, and logs the attempt', async () => {
    const zone = await http<{ id: string }>('POST', '/v1/zones', {
      tenant,
      body: { name: 'Yard', kind: 'geofence', geometry: square(8.5, 47.3, 0.1) },
    });
    expect(zone.status).toBe(201);
    [assetId] = await registerAssets(1, tenant, 'Courier');
    const track = [8.4, 8.45, 8.55, 8.57].map((lon, i) => ({ assetId, ts: at(i * 10), lon, lat: 47.35 }));
    const sent = await http<{ accepted: number }>('POST', '/v1/telemetry', { tenant, body: { fixes: track } });
    expect(sent.body.accepted).toBe(4);
    const hit = await eventually(
      async () => received.find((r) => r.body.includes('"geofence.entered"') && r.body.includes(assetId)),
      (r) => r !== undefined,
      60_000,
    );
    expect(hit).toBeDefined();
    if (!hit) return;
    expect(verifies(webhook.secret ?? '', hit.headers, hit.body)).toBe(true);
    expect(verifies('whsec_' + Buffer.from('not the secret').toString('base64'), hit.headers, hit.body)).toBe(false);
    const payload = JSON.parse(hit.body) as {
      type: string;
      timestamp: string;
      data: { assetId: string; zoneId: string };
    };
    expect(payload).toMatchObject({ type: 'geofence.entered', data: { assetId, zoneId: zone.body.id } });
    const log = await eventually(
      () =>
        http<{
          deliveries: { id: string; state: string; eventType: string; attempts: { responseStatus: number }[] }[];
        }>('GET', `/v1/webhooks/${webhook.id}/deliveries?state=succeeded`, { tenant }),
      (r) => r.status === 200 && r.body.deliveries.some((d) => d.id === hit.headers['webhook-id']),
    );
    const delivery = log.body.deliveries.find((d) => d.id === hit.headers['webhook-id']);
    expect(delivery).toMatchObject({ state: 'succeeded', eventType: 'geofence.entered' });
    expect(delivery?.attempts.map((a) => a.responseStatus)).toEqual([204]);
  });

  it('exports the positions it was sent, as CSV (gzip as stored, or plain) and as GeoJSON', async () => {
    const filter = { kind: 'positions', assetIds: [assetId], from: at(-60), to: at(60) };
    const started = await http<ExportBody>('POST', '/v1/exports', { tenant, body: { ...filter, format: 'csv' } });
    expect(started.status).toBe(202);
    expect(started.body.state).toMatch(/queued|running|succeeded/);
    const done = await eventually(
      () => http<ExportBody>('GET', `/v1/exports/${started.body.id}`, { tenant }),
      (r) => r.body.state === 'succeeded' || r.body.state === 'failed',
    );
    expect(done.body).toMatchObject({ state: 'succeeded', rowsWritten: 4, percent: 100 });
    const href = done.body.download?.href ?? '';
    expect(href).toBe(`${api}/v1/exports/${started.body.id}/download`);
    const auth = await authHeaders(tenant);
    // As stored: gzip on the wire (Content-Length is the stored size); fetch would decompress, node:http does not.
    const zipped = await download(href, { ...auth, 'accept-encoding': 'gzip' });
    expect(zipped.headers['content-encoding']).toBe('gzip');
    expect(zipped.headers['content-length']).toBe(String(done.body.download?.bytes));
    expect(zipped.headers['content-disposition']).toMatch(/^attachment; filename="meridian-positions-.*\.csv"$/);
    const plain = await download(href, { ...auth, 'accept-encoding': 'identity' });
    expect(plain.headers['content-encoding']).toBeUndefined();
    expect(plain.body.toString()).toBe(gunzipSync(zipped.body).toString());
    const lines = plain.body.toString().trim().split('\n');
    expect(lines).toHaveLength(5);
    expect(lines.slice(1).every((l) => l.includes(assetId))).toBe(true);
    expect(lines.slice(1).filter((l) => l.includes(',8.55,'))).toHaveLength(1);

    const geo = await http<ExportBody>('POST', '/v1/exports', { tenant, body: { ...filter, format: 'geojson' } });
    const geoDone = await eventually(
      () => http<ExportBody>('GET', `/v1/exports/${geo.body.id}`, { tenant }),
      (r) => r.body.state === 'succeeded',
    );
    const file = await fetch(geoDone.body.download?.href ?? '', { headers: auth });
    const collection = (await file.json()) as { type: string; features: { geometry: { coordinates: number[] } }[] };
    expect(collection.type).toBe('FeatureCollection');
    // Exports are not sorted (a week of fixes would be a sort on disk): compare as sets.
    expect(collection.features.map((f) => f.geometry.coordinates[0]).sort()).toEqual([8.4, 8.45, 8.55, 8.57]);
  });

  it('answers unknown exports with 404 EXPORT.NOT_FOUND and a bad window with 400 EXPORT.FILTER_INVALID', async () => {
    const missing = await http<Problem>('GET', `/v1/exports/${randomUUID()}`, { tenant });
    expect([missing.status, missing.body.code]).toEqual([404, 'EXPORT.NOT_FOUND']);
    const backwards = await http<Problem>('POST', '/v1/exports', {
      tenant,
      body: { kind: 'positions', from: at(60), to: at(0), format: 'ndjson' },
    });
    expect([backwards.status, backwards.body.code]).toEqual([400, 'EXPORT.FILTER_INVALID']);
  });

  it('refuses a region-restricted admin webhooks, and keeps export idempotency keys per principal', async () => {
    const created = await http<{ clientId: string; clientSecret: string }>('POST', '/v1/service-accounts', {
      tenant,
      body: {
        clientId: `regional-admin-${randomUUID().slice(0, 6)}`,
        name: 'Regional admin',
        roles: ['admin'],
        attributes: { region: square(8.5, 47.3, 0.1) },
      },
    });
    expect(created.status).toBe(201);
    const regional = new TokenSource({
      issuer,
      clientId: created.body.clientId,
      clientSecret: created.body.clientSecret,
    });
    const as = async () => ({ anonymous: true, headers: await regional.headers() });
    // The new account reaches the token endpoint and the gateway through Kafka: wait until it is admitted.
    const refused = await eventually(
      async () => {
        const headers = await regional.headers().catch(() => null);
        if (!headers) return null;
        return http<Problem>('POST', '/v1/webhooks', {
          anonymous: true,
          headers,
          body: { url: hookUrl, events: ['*'] },
        });
      },
      (r) => r !== null && r.status !== 401,
      30_000,
    );
    expect([refused?.status, refused?.body.code]).toEqual([403, 'WEBHOOK.PRINCIPAL_RESTRICTED']);

    const key = `same-key-${randomUUID().slice(0, 6)}`;
    const body = { kind: 'positions', assetIds: [assetId], from: at(-60), to: at(60), format: 'ndjson' };
    const mine = await http<ExportBody>('POST', '/v1/exports', { tenant, body, headers: { 'idempotency-key': key } });
    const again = await http<ExportBody>('POST', '/v1/exports', { tenant, body, headers: { 'idempotency-key': key } });
    const theirs = await http<ExportBody>('POST', '/v1/exports', {
      ...(await as()),
      body,
      headers: { ...(await as()).headers, 'idempotency-key': key },
    });
    expect([mine.status, again.status, theirs.status]).toEqual([202, 202, 202]);
    expect(again.body.id).toBe(mine.body.id);
    expect(theirs.body.id).not.toBe(mine.body.id);
    expect((await http('GET', `/v1/exports/${mine.body.id}`, await as())).status).toBe(404);
  });

  it('answers hostile requests with problem+json and a stable code, never a 5xx', async () => {
    const cases: [string, string, Record<string, unknown>][] = [
      ['POST', '/v1/webhooks', { raw: '{"url": ', headers: { 'content-type': 'application/json' } }],
      ['POST', '/v1/webhooks', { body: { url: hookUrl, events: Array.from({ length: 51 }, () => '*') } }],
      ['POST', '/v1/webhooks', { body: { url: hookUrl, events: ['*'], secret: 'mine' } }],
      ['POST', '/v1/webhooks', { body: { url: 'javascript:alert(1)', events: ['*'] } }],
      ['GET', '/v1/webhooks/not-a-uuid', {}],
      ['PATCH', `/v1/webhooks/${randomUUID()}`, { body: {} }],
      ['GET', `/v1/webhooks/${randomUUID()}/deliveries?state=lost`, {}],
      ['POST', `/v1/webhooks/${randomUUID()}/deliveries/../../replay`, {}],
      ['POST', '/v1/exports', { body: { kind: 'secrets', from: at(0), to: at(60), format: 'csv' } }],
      ['POST', '/v1/exports', { body: { kind: 'positions', from: 'yesterday', to: at(60), format: 'csv' } }],
      ['POST', '/v1/exports', { body: { kind: 'positions', from: at(0), to: at(60), format: 'xlsx' } }],
      ['GET', '/v1/exports/../../etc/passwd', {}],
      ['GET', `/v1/exports/${randomUUID()}/download`, {}],
    ];
    for (const [method, path, options] of cases) {
      const answer = await http<Problem>(method, path, { tenant, ...options });
      expect({ path, status: answer.status < 500 && answer.status >= 400 }).toEqual({ path, status: true });
      expect({ path, type: answer.contentType }).toEqual({ path, type: expect.stringContaining('problem+json') });
      expect({ path, code: typeof answer.body.code }).toEqual({ path, code: 'string' });
    }
  });
});
