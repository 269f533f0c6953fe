/**
 * Paging GET /v1/assets?bbox= through 2,500 matching assets by following `next` links as given
 * (DESIGN §5): every asset in the box exactly once, none outside it, and cursors that refuse to
 * page a query other than their own.
 */
import { randomUUID } from 'node:crypto';
import { Client } from 'pg';
import { afterAll, beforeAll, describe, expect, it } from '@jest/globals';
import { eventually } from '@meridian/shared/testing';
import { api, authHeaders, e2eDatabaseUrl, type E2eSystem, http, pool, startSystem } from './e2e-stack';

interface Feature {
  type: 'Feature';
  id: string;
  geometry: { type: 'Point'; coordinates: [number, number] } | null;
}
interface Link {
  rel: string;
  href: string;
  type?: string;
}
interface Page {
  type: 'FeatureCollection';
  features: Feature[];
  numberReturned: number;
  links: Link[];
}
interface Problem {
  code: string;
  status: number;
}
interface TelemetryResult {
  accepted: number;
  rejected: { index: number; code: string }[];
}
type Position = readonly [number, number];

const tenant = `e2e-page-${randomUUID().slice(0, 6)}`;
const otherTenant = `e2e-page-o-${randomUUID().slice(0, 6)}`;
const INSIDE = 2500;
const BBOX = [10, 50, 11, 51] as const;
const bboxParam = BBOX.join(',');
/** A 50 × 50 grid over the whole box, its edges and corners included (a bbox is closed). */
const grid = (i: number): Position => [10 + (i % 50) / 49, 50 + Math.floor(i / 50) / 49];
/** Latest positions outside the box: near each edge and corner, far away, across the antimeridian. */
const outside: readonly Position[] = [
  ...[0.001, 0.01, 0.5].flatMap((d): Position[] => [
    [10 - d, 50.5],
    [11 + d, 50.5],
    [10.5, 50 - d],
    [10.5, 51 + d],
    [10 - d, 50 - d],
    [11 + d, 51 + d],
    [10 - d, 51 + d],
    [11 + d, 50 - d],
  ]),
  [0, 0],
  [-10.5, 50.5],
  [10.5, -50.5],
  [180, 90],
  [-180, -90],
  [190 - 360, 50.5],
];
const MOVERS = 25; // assets whose older fix is in the box and newest outside (and 25 the other way)
const UNPLACED = 25; // registered, never reported a position

let system: E2eSystem;
let db: Client;
const inside: string[] = [];
const notInside: string[] = [];
const edgeCase = { inside: [] as string[], outside: [] as string[] };

async function registerAll(count: number): Promise<string[]> {
  const results = await pool(Array.from({ length: count }), 64, (_, i) =>
    http<{ id: string }>('POST', '/v1/assets', { body: { name: `page ${i}`, kind: 'vehicle' }, tenant }),
  );
  expect(results.filter((r) => r.status !== 201 && r.status !== 202)).toEqual([]);
  return results.map((r) => r.body.id);
}

async function report(fixes: readonly { assetId: string; ts: string; lon: number; lat: number }[]): Promise<void> {
  const batches = Array.from({ length: Math.ceil(fixes.length / 500) }, (_, b) => fixes.slice(b * 500, b * 500 + 500));
  const results = await pool(batches, 4, (fixesOfBatch) =>
    http<TelemetryResult>('POST', '/v1/telemetry', { body: { fixes: fixesOfBatch }, tenant }),
  );
  expect(results.map((r) => [r.status, r.body.rejected])).toEqual(results.map(() => [202, []]));
  expect(results.reduce((n, r) => n + r.body.accepted, 0)).toBe(fixes.length);
}

beforeAll(async () => {
  system = await startSystem([tenant, otherTenant]);
  db = new Client({ connectionString: e2eDatabaseUrl });
  await db.connect();

  // Near-edge assets live in a second box, [20, 50, 21, 51], so they never touch the first one.
  const nearEdgeInside: Position[] = [
    [20, 50.5],
    [21, 50.5],
    [20.5, 50],
    [20.5, 51],
    [21, 51],
  ];
  const nearEdgeOutside: Position[] = [
    [20 - 1e-7, 50.5],
    [21 + 1e-7, 50.5],
    [20.5, 50 - 1e-7],
    [20.5, 51 + 1e-7],
  ];
  const total = INSIDE + outside.length + MOVERS + UNPLACED + nearEdgeInside.length + nearEdgeOutside.length;
  const ids = await registerAll(total);
  expect(new Set(ids).size).toBe(total);
  // Telemetry is admitted for an asset once geo-query has it (a 202 "pending" registration too).
  await eventually(
    async () => {
      const { rows } = await db.query<{ n: string }>(
        'SELECT count(*) AS n FROM read.asset_latest WHERE tenant_id = $1 AND name IS NOT NULL',
        [tenant],
      );
      expect(Number(rows[0].n)).toBe(total);
    },
    { timeoutMs: 120_000, intervalMs: 500 },
  );

  const older = new Date(Date.now() - 120_000).toISOString();
  const newest = new Date(Date.now() - 60_000).toISOString();
  const fixes: { assetId: string; ts: string; lon: number; lat: number }[] = [];
  const place = (assetId: string, [lon, lat]: Position, ts = newest) => fixes.push({ assetId, ts, lon, lat });
  let next = 0;
  for (let i = 0; i < INSIDE; i++) {
    const id = ids[next++];
    inside.push(id);
    place(id, grid(i));
    if (i < MOVERS) place(id, outside[i % outside.length], older); // moved into the box
  }
  for (const position of outside) {
    const id = ids[next++];
    notInside.push(id);
    place(id, position);
  }
  for (let i = 0; i < MOVERS; i++) {
    const id = ids[next++];
    notInside.push(id);
    place(id, grid(i * 97), older); // moved out of the box
    place(id, outside[i % outside.length]);
  }
  for (let i = 0; i < UNPLACED; i++) notInside.push(ids[next++]);
  for (const position of nearEdgeInside) {
    const id = ids[next++];
    edgeCase.inside.push(id);
    place(id, position);
  }
  for (const position of nearEdgeOutside) {
    const id = ids[next++];
    edgeCase.outside.push(id);
    place(id, position);
  }
  await report(fixes);
  const placed = total - UNPLACED;
  await eventually(
    async () => {
      const { rows } = await db.query<{ n: string }>(
        'SELECT count(*) AS n FROM read.asset_latest WHERE tenant_id = $1 AND ts = $2::timestamptz',
        [tenant, newest],
      );
      expect(Number(rows[0].n)).toBe(placed);
    },
    { timeoutMs: 60_000, intervalMs: 500 },
  );
}, 600_000);

afterAll(async () => {
  await db?.end();
  await system?.stop();
}, 120_000);

async function get<T>(url: string, inTenant = tenant): Promise<{ status: number; contentType: string; body: T }> {
  const res = await fetch(url, { headers: await authHeaders(inTenant) });
  return { status: res.status, contentType: res.headers.get('content-type') ?? '', body: (await res.json()) as T };
}

const linkOf = (page: Page, rel: string): string | undefined => page.links.find((l) => l.rel === rel)?.href;

/** Every page from `first` on, following each `next` link exactly as given. */
async function allPages(first: string): Promise<{ url: string; page: Page }[]> {
  const pages: { url: string; page: Page }[] = [];
  for (let url: string | undefined = first; url !== undefined;) {
    const res = await get<Page>(url);
    expect([res.status, res.contentType]).toEqual([200, expect.stringContaining('application/geo+json')]);
    pages.push({ url, page: res.body });
    if (pages.length > INSIDE) throw new Error('the next links never end');
    url = linkOf(res.body, 'next');
  }
  return pages;
}

const inBox = ([lon, lat]: readonly number[], [minLon, minLat, maxLon, maxLat]: readonly number[]): boolean =>
  lon >= minLon && lon <= maxLon && lat >= minLat && lat <= maxLat;

describe(`paging ${INSIDE} assets in a bbox`, () => {
  it.each([97, 100, 1000])(
    'with limit=%i returns every asset in the box exactly once, none outside, in id order',
    async (limit) => {
      const pages = await allPages(`${api}/v1/assets?bbox=${bboxParam}&limit=${limit}`);
      const sizes = pages.map(({ page }) => page.features.length);
      const full = Math.floor(INSIDE / limit);
      const rest = INSIDE % limit;
      // Full pages, then the remainder; when the total is a multiple of limit, no empty page after.
      expect(sizes).toEqual([...Array.from({ length: full }, () => limit), ...(rest > 0 ? [rest] : [])]);
      for (const { page } of pages) {
        expect(page.type).toBe('FeatureCollection');
        expect(page.numberReturned).toBe(page.features.length);
        expect(linkOf(page, 'self')).toBeDefined();
      }
      // A followed link is its page's self link; the first page's self link names the same query.
      for (const { url, page } of pages.slice(1)) expect(linkOf(page, 'self')).toBe(url);
      const self = new URL(linkOf(pages[0].page, 'self') ?? '');
      expect([self.searchParams.get('bbox'), self.searchParams.get('limit')]).toEqual([bboxParam, String(limit)]);
      expect(linkOf(pages[pages.length - 1].page, 'next')).toBeUndefined();
      expect(pages.slice(0, -1).every(({ page }) => linkOf(page, 'next') !== undefined)).toBe(true);

      const features = pages.flatMap(({ page }) => page.features);
      const ids = features.map((f) => f.id);
      expect(ids).toEqual([...ids].sort()); // keyset order by id, across pages too
      expect(new Set(ids).size).toBe(ids.length);
      expect([...ids].sort()).toEqual([...inside].sort());
      expect(features.filter((f) => !f.geometry || !inBox(f.geometry.coordinates, BBOX))).toEqual([]);
      const none = new Set(notInside);
      expect(ids.filter((id) => none.has(id))).toEqual([]);
    },
    120_000,
  );

  it('pages 100 at a time when no limit is given', async () => {
    const first = await get<Page>(`${api}/v1/assets?bbox=${bboxParam}`);
    expect(first.status).toBe(200);
    expect(first.body.numberReturned).toBe(100);
    const next = new URL(linkOf(first.body, 'next') ?? '');
    expect(next.searchParams.get('limit')).toBe('100');
    const second = await get<Page>(next.toString());
    expect(second.body.features[0].id > first.body.features[99].id).toBe(true);
  });

  it('refuses a cursor reused with another bbox, without a bbox, or by another tenant', async () => {
    const first = await get<Page>(`${api}/v1/assets?bbox=${bboxParam}&limit=10`);
    const cursor = new URL(linkOf(first.body, 'next') ?? '').searchParams.get('cursor') ?? '';
    expect(cursor).not.toBe('');
    const attempts = [
      http<Problem>('GET', `/v1/assets?bbox=10,50,11,50.5&limit=10&cursor=${cursor}`, { tenant }),
      http<Problem>('GET', `/v1/assets?bbox=10,50,11,51.0000001&limit=10&cursor=${cursor}`, { tenant }),
      http<Problem>('GET', `/v1/assets?limit=10&cursor=${cursor}`, { tenant }),
      http<Problem>('GET', `/v1/assets?bbox=${bboxParam}&limit=10&cursor=${cursor}`, { tenant: otherTenant }),
    ];
    for (const res of await Promise.all(attempts)) {
      expect([res.status, res.contentType, res.body.code]).toEqual([
        400,
        expect.stringContaining('application/problem+json'),
        'QUERY.CURSOR_INVALID',
      ]);
    }
    // The same cursor with the same query (another limit is the same query) goes on after page one.
    const resumed = await http<Page>('GET', `/v1/assets?bbox=${bboxParam}&limit=5&cursor=${cursor}`, { tenant });
    expect(resumed.status).toBe(200);
    expect(resumed.body.features[0].id > first.body.features[9].id).toBe(true);
  });

  it.each([
    ['garbage', 'garbage'],
    ['base64 that is not JSON', Buffer.from('not a cursor').toString('base64url')],
    ['JSON of another shape', Buffer.from(JSON.stringify({ after: randomUUID() })).toString('base64url')],
    [
      'a forged fingerprint',
      Buffer.from(JSON.stringify({ a: randomUUID(), q: 'AAAAAAAAAAAAAAAA' })).toString('base64url'),
    ],
    ['empty', ''],
  ])('refuses a cursor that is %s with 400 QUERY.CURSOR_INVALID', async (_name, cursor) => {
    const res = await http<Problem>('GET', `/v1/assets?bbox=${bboxParam}&cursor=${encodeURIComponent(cursor)}`, {
      tenant,
    });
    expect([res.status, res.body.code]).toEqual([400, 'QUERY.CURSOR_INVALID']);
  });

  it('refuses limit=1001 with 400 REQUEST.INVALID', async () => {
    const res = await http<Problem>('GET', `/v1/assets?bbox=${bboxParam}&limit=1001`, { tenant });
    expect([res.status, res.contentType, res.body.code]).toEqual([
      400,
      expect.stringContaining('application/problem+json'),
      'REQUEST.INVALID',
    ]);
  });

  it('includes assets on the edges of a bbox and none outside it, not even by a centimetre', async () => {
    const res = await http<Page>('GET', '/v1/assets?bbox=20,50,21,51&limit=1000', { tenant });
    expect(res.status).toBe(200);
    expect(res.body.features.map((f) => f.id).sort()).toEqual([...edgeCase.inside].sort());
  });
});
