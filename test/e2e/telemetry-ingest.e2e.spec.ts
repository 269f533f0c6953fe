/**
 * Telemetry ingest at the gateway, through HTTP with every service running: gzip bodies (JSON and
 * NDJSON), corrupt gzip, gzip bombs, unsupported codings, a 10,000-fix NDJSON request, and the
 * per-tenant rate limit in fixes. This stack runs with a small limit (5,000 fixes/s, bursts of
 * 10,000: one full request) so that a test can reach it.
 */
import { randomUUID } from 'node:crypto';
import { readFileSync } from 'node:fs';
import { createGzip, gzipSync } from 'node:zlib';
import { Client } from 'pg';
import { afterAll, beforeAll, describe, expect, it } from '@jest/globals';
import { eventually } from '@meridian/shared/testing';
import {
  api,
  authHeaders,
  e2eDatabaseUrl,
  type E2eSystem,
  http,
  postOversize,
  registerAssets,
  startSystem,
} from './e2e-stack';

interface TelemetryResult {
  accepted: number;
  rejected: { index: number; code: string; detail: string }[];
}
interface Problem {
  status: number;
  code: string;
  detail: string;
}

const RATE = 5_000;
const BURST = 10_000;
const MIB = 1024 * 1024;
const WIRE_LIMIT = 512 * 1024; // GATEWAY_BODY_LIMIT_BYTES of the e2e stack

const tenant = `e2e-ingest-${randomUUID().slice(0, 6)}`;
const bulkTenant = `e2e-ingest-b-${randomUUID().slice(0, 6)}`;
const limitedTenant = `e2e-ingest-r-${randomUUID().slice(0, 6)}`;
const quietTenant = `e2e-ingest-q-${randomUUID().slice(0, 6)}`;
const rateEnv = { GATEWAY_INGEST_RATE_FIXES_PER_S: String(RATE), GATEWAY_INGEST_BURST_FIXES: String(BURST) };

let system: E2eSystem;
let db: Client;
/** Assets of `tenant` (the small requests) and of `bulkTenant` (the 10,000-fix request). */
let assets: string[];
let bulkAssets: string[];

beforeAll(async () => {
  // The services inherit this process's environment; e2e-stack sets only what every run shares.
  Object.assign(process.env, rateEnv);
  system = await startSystem([tenant, bulkTenant, limitedTenant, quietTenant]);
  db = new Client({ connectionString: e2eDatabaseUrl });
  await db.connect();
  [assets, bulkAssets] = await Promise.all([register(5, tenant), register(20, bulkTenant)]);
}, 300_000);

afterAll(async () => {
  for (const name of Object.keys(rateEnv)) delete process.env[name];
  await db?.end();
  await system?.stop();
}, 120_000);

const register = (count: number, inTenant: string): Promise<string[]> => registerAssets(count, inTenant, 'ingest');

const fix = (assetId: string, secondsAgo: number, lon = 8.5, lat = 47.4) => ({
  assetId,
  ts: new Date(Date.now() - secondsAgo * 1000).toISOString(),
  lon,
  lat,
});
const ndjson = (lines: readonly unknown[]): string =>
  lines.map((l) => (typeof l === 'string' ? l : JSON.stringify(l))).join('\n');

/** POST /v1/telemetry with fetch, keeping the response headers. */
async function ingest(body: string | Buffer, headers: Record<string, string>, inTenant: string) {
  const res = await fetch(`${api}/v1/telemetry`, {
    method: 'POST',
    headers: { ...(await authHeaders(inTenant)), ...headers },
    body,
  });
  const text = await res.text();
  return { status: res.status, headers: res.headers, body: JSON.parse(text) as unknown };
}

const gzipJson = { 'content-type': 'application/json', 'content-encoding': 'gzip' };
const gzipNdjson = { 'content-type': 'application/x-ndjson', 'content-encoding': 'gzip' };

/** Gzips `total` bytes of `fill` without holding them: a bomb for the gateway, not for the test. */
function bomb(fill: number, total: number): Promise<Buffer> {
  return new Promise((resolve, reject) => {
    const gzip = createGzip({ level: 9 });
    const out: Buffer[] = [];
    gzip.on('data', (c: Buffer) => out.push(c));
    gzip.on('end', () => resolve(Buffer.concat(out)));
    gzip.on('error', reject);
    const piece = Buffer.alloc(MIB, fill);
    let written = 0;
    const write = (): void => {
      while (written < total) {
        written += MIB;
        if (!gzip.write(piece)) return void gzip.once('drain', write);
      }
      gzip.end();
    };
    write();
  });
}

const rssOf = (pid: number): number => {
  const kb = /VmRSS:\s+(\d+) kB/.exec(readFileSync(`/proc/${pid}/status`, 'utf8'))?.[1];
  return Number(kb) * 1024;
};

/** The gateway's resident memory at its highest while `work` runs, above what it was before. */
async function rssGrowthDuring<T>(work: () => Promise<T>): Promise<{ result: T; growth: number }> {
  const gateway = system.stack.services.find((s) => s.name === 'gateway');
  const pid = gateway?.process.pid;
  if (pid === undefined) throw new Error('no gateway process');
  const before = rssOf(pid);
  let peak = before;
  const sampler = setInterval(() => (peak = Math.max(peak, rssOf(pid))), 5);
  try {
    const result = await work();
    peak = Math.max(peak, rssOf(pid));
    return { result, growth: peak - before };
  } finally {
    clearInterval(sampler);
  }
}

async function storedCount(ids: readonly string[], since: Date): Promise<number> {
  const { rows } = await db.query<{ n: string }>(
    'SELECT count(*) AS n FROM read.positions WHERE asset_id = ANY($1::uuid[]) AND ts >= $2',
    [ids, since],
  );
  return Number(rows[0].n);
}

describe('telemetry ingest: content encoding', () => {
  it('accepts a gzip JSON body: fixes counted, bad ones rejected by index, accepted ones stored', async () => {
    const since = new Date(Date.now() - 60_000);
    const [a, b] = assets;
    const fixes = [fix(a, 30), { assetId: a, lon: 1, lat: 1 }, fix(b, 29), fix(a, 28, 200)];
    const res = await ingest(gzipSync(JSON.stringify({ fixes })), gzipJson, tenant);
    expect(res.status).toBe(202);
    const body = res.body as TelemetryResult;
    expect(body.accepted).toBe(2);
    expect(body.rejected.map((r) => [r.index, r.code])).toEqual([
      [1, 'TELEMETRY.BAD_TIMESTAMP'],
      [3, 'TELEMETRY.COORDINATES_OUT_OF_RANGE'],
    ]);
    await eventually(async () => expect(await storedCount([a, b], since)).toBe(2), { timeoutMs: 30_000 });
  });

  it('accepts a gzip NDJSON body with the per-line rules (blank lines, CRLF, a line that is not JSON)', async () => {
    const since = new Date(Date.now() - 60_000);
    const [, , c, d] = assets;
    const body = ndjson([fix(c, 20), '', `${JSON.stringify(fix(d, 19))}\r`, '{not json', '   ', fix(c, 18)]);
    const res = await ingest(gzipSync(body), gzipNdjson, tenant);
    expect(res.status).toBe(202);
    expect(res.body).toEqual({
      accepted: 3,
      rejected: [{ index: 2, code: 'REQUEST.MALFORMED_JSON', detail: 'line 4 is not JSON' }],
    });
    await eventually(async () => expect(await storedCount([c, d], since)).toBe(3), { timeoutMs: 30_000 });
  });

  it('accepts x-gzip as gzip, and identity as no coding', async () => {
    const e = assets[4];
    const gz = await ingest(gzipSync(ndjson([fix(e, 40)])), { ...gzipNdjson, 'content-encoding': 'x-gzip' }, tenant);
    expect(gz).toMatchObject({ status: 202, body: { accepted: 1, rejected: [] } });
    const plain = await ingest(
      JSON.stringify({ fixes: [fix(e, 41)] }),
      { 'content-type': 'application/json', 'content-encoding': 'identity' },
      tenant,
    );
    expect(plain).toMatchObject({ status: 202, body: { accepted: 1, rejected: [] } });
  });

  it.each([
    ['JSON', gzipJson, Buffer.from(JSON.stringify({ fixes: [] }))],
    ['NDJSON, truncated', gzipNdjson, gzipSync(Buffer.from('{"a":1}\n'.repeat(100))).subarray(0, 30)],
    ['NDJSON, corrupt in the middle', gzipNdjson, corruptInTheMiddle()],
  ])('refuses a corrupt gzip %s body with 400 REQUEST.ENCODING_INVALID', async (_name, headers, body) => {
    const res = await http<Problem>('POST', '/v1/telemetry', { raw: body, headers, tenant });
    expect(res.status).toBe(400);
    expect(res.contentType).toContain('application/problem+json');
    expect(res.body.code).toBe('REQUEST.ENCODING_INVALID');
  });

  it.each([['br'], ['deflate'], ['gzip, br']])(
    'refuses Content-Encoding %s with 415 REQUEST.UNSUPPORTED_MEDIA_TYPE',
    async (coding) => {
      const res = await postOversize('/v1/telemetry', Buffer.from(JSON.stringify({ fixes: [] })), {
        'content-type': 'application/json',
        'content-encoding': coding,
        ...(await authHeaders(tenant)),
      });
      expect(res.status).toBe(415);
      expect(res.contentType).toContain('application/problem+json');
      expect(res.body).toMatchObject({ code: 'REQUEST.UNSUPPORTED_MEDIA_TYPE' });
    },
  );

  it.each([
    ['JSON of 200 MB of zeros', gzipJson, 0],
    ['NDJSON of 200 MB of zeros (one endless line)', gzipNdjson, 0],
    ['NDJSON of 200 MB of newlines', gzipNdjson, 0x0a],
  ])('answers a gzip bomb, %s, with 413 REQUEST.TOO_LARGE in bounded memory', async (_name, headers, fill) => {
    const body = await bomb(fill, 200 * MIB);
    expect(body.length).toBeLessThan(WIRE_LIMIT);
    const auth = await authHeaders(tenant);
    const { result, growth } = await rssGrowthDuring(() =>
      postOversize('/v1/telemetry', body, { ...headers, ...auth }),
    );
    expect(result.status).toBe(413);
    expect(result.body).toMatchObject({ code: 'REQUEST.TOO_LARGE' });
    // Decoding holds a few stream buffers (measured: under 20 MiB, buffers awaiting GC included);
    // holding the body would take 200 MB, holding it up to the 64 MiB limit 64 MiB or more.
    expect(growth).toBeLessThan(48 * MIB);
    // The gateway is still there and serving.
    expect((await http('GET', '/v1/assets?limit=1', { tenant })).status).toBe(200);
  });
});

describe('telemetry ingest: NDJSON limits', () => {
  it('takes a 10,000-fix NDJSON request (gzip, as it is over the body limit of this stack plain)', async () => {
    const lines = Array.from({ length: 10_000 }, (_, i) => fix(bulkAssets[i % bulkAssets.length], 600 + i / 10));
    const text = ndjson(lines);
    expect(Buffer.byteLength(text)).toBeGreaterThan(WIRE_LIMIT);
    const res = await ingest(gzipSync(text), gzipNdjson, bulkTenant);
    expect(res.status).toBe(202);
    expect(res.body).toEqual({ accepted: 10_000, rejected: [] });
  });

  it('stops reading at fix 10,001 with 413 TELEMETRY.TOO_MANY_FIXES', async () => {
    const text = ndjson(Array.from({ length: 10_001 }, () => ({})));
    const res = await http<Problem>('POST', '/v1/telemetry', {
      raw: gzipSync(text),
      headers: gzipNdjson,
      tenant,
    });
    expect(res.status).toBe(413);
    expect(res.body.code).toBe('TELEMETRY.TOO_MANY_FIXES');
  });
});

describe('telemetry ingest: per-tenant rate limit in fixes', () => {
  it('refuses what is over the limit with 429 RATE.LIMITED and a Retry-After that is honest', async () => {
    const full = JSON.stringify({ fixes: Array.from({ length: BURST }, () => ({})) });
    const json = { 'content-type': 'application/json' };
    const first = await ingest(full, json, limitedTenant);
    expect(first.status).toBe(202);
    expect((first.body as TelemetryResult).rejected).toHaveLength(BURST); // invalid fixes count too

    const second = await ingest(full, json, limitedTenant);
    expect(second.status).toBe(429);
    expect(second.headers.get('content-type')).toContain('application/problem+json');
    expect(second.body).toMatchObject({ status: 429, code: 'RATE.LIMITED' });
    const retryAfter = Number(second.headers.get('retry-after'));
    expect(Number.isInteger(retryAfter)).toBe(true);
    expect(retryAfter).toBeGreaterThanOrEqual(1);
    expect(retryAfter).toBeLessThanOrEqual(Math.ceil(BURST / RATE));

    // Counted in fixes, not requests: one fix still fits; other tenants are not affected.
    expect((await ingest(JSON.stringify({ fixes: [{}] }), json, limitedTenant)).status).toBe(202);
    expect((await ingest(full, json, quietTenant)).status).toBe(202);

    await new Promise((r) => setTimeout(r, retryAfter * 1000 + 200));
    expect((await ingest(full, json, limitedTenant)).status).toBe(202);
  });
});

function corruptInTheMiddle(): Buffer {
  const good = gzipSync(Buffer.from(ndjson(Array.from({ length: 2000 }, (_, i) => ({ i, pad: 'x'.repeat(i % 50) })))));
  const bad = Buffer.from(good);
  for (let i = Math.floor(bad.length / 2); i < Math.floor(bad.length / 2) + 64; i++) bad[i] ^= 0xff;
  return bad;
}
