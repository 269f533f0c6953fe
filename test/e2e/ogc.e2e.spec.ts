import { execFile } from 'node:child_process';
import { randomUUID } from 'node:crypto';
import { join } from 'node:path';
import { promisify } from 'node:util';
import { afterAll, beforeAll, describe, expect, it } from '@jest/globals';
import { runEts } from '../../tools/ogc/ets';
import { startHeaderProxy } from '../../tools/ogc/header-proxy';
import { ensureSampleData } from '../../tools/ogc/sample-data';
import { ROOT } from '../../tools/stack';
import { api, authHeaders, type E2eSystem, http, startSystem } from './e2e-stack';

/*
 * OGC API – Features at /ogc through the whole system: a client's walk from the landing page to
 * the second page of items; the refusals the standard asks for; the OGC test suite run through the
 * tenant-header proxy (0 failed); and GDAL's ogrinfo listing and reading every collection.
 */

const run = promisify(execFile);
// Not the first tenant: only its administrator's token (or the proxy adding it) reaches its data.
const idle = `e2e-ogc0-${randomUUID().slice(0, 6)}`;
const tenant = `e2e-ogc-${randomUUID().slice(0, 6)}`;
let system: E2eSystem;

interface Link {
  rel: string;
  type: string;
  href: string;
}
interface Items {
  type: string;
  numberMatched?: number;
  numberReturned: number;
  timeStamp: string;
  features: { id: string; geometry: unknown; properties: Record<string, unknown> }[];
  links: Link[];
}

const get = async <T>(url: string, headers: Record<string, string> = {}) => {
  const res = await fetch(url, { headers: { ...(await authHeaders(tenant)), ...headers } });
  const text = await res.text();
  return {
    status: res.status,
    type: res.headers.get('content-type') ?? '',
    text,
    json: (): T => JSON.parse(text) as T,
  };
};
/** The media type without parameters (Fastify adds `; charset=utf-8` to JSON). */
const mediaType = (contentType: string): string => contentType.split(';')[0].trim();
const link = (links: Link[], rel: string, type?: string): string => {
  const found = links.find((l) => l.rel === rel && (type === undefined || l.type === type));
  if (!found) throw new Error(`no ${rel} link${type ? ` of type ${type}` : ''} in ${JSON.stringify(links)}`);
  return found.href;
};

beforeAll(async () => {
  system = await startSystem([idle, tenant]);
  await ensureSampleData(api, (await authHeaders(tenant)).authorization);
}, 300_000);

afterAll(async () => {
  await system?.stop();
}, 120_000);

describe('OGC API – Features at /ogc', () => {
  it('walks landing → collections → items → next and prev (numberMatched, numberReturned, timeStamp)', async () => {
    const landing = await get<{ links: Link[] }>(`${api}/ogc`);
    expect([landing.status, mediaType(landing.type)]).toEqual([200, 'application/json']);
    expect(link(landing.json().links, 'service-desc')).toBe(`${api}/ogc/api`);
    const api30 = await get<{ openapi: string }>(link(landing.json().links, 'service-desc'));
    expect(api30.type).toMatch(/^application\/vnd\.oai\.openapi\+json;\s*version="?3\.0"?/);
    expect(api30.json().openapi).toMatch(/^3\.0\./);
    const conformance = await get<{ conformsTo: string[] }>(
      link(landing.json().links, 'conformance', 'application/json'),
    );
    expect(conformance.json().conformsTo).toContain('http://www.opengis.net/spec/ogcapi-features-1/1.0/conf/core');

    const collections = await get<{ collections: { id: string; links: Link[]; extent: unknown }[] }>(
      link(landing.json().links, 'data', 'application/json'),
    );
    expect(collections.json().collections.map((c) => c.id)).toEqual(['assets', 'zones', 'positions']);
    const positions = collections.json().collections[2];
    expect(positions.extent).toMatchObject({ spatial: { bbox: [[-180, -90, 180, 90]] }, temporal: {} });

    const before = Date.now();
    const first = await get<Items>(`${link(positions.links, 'items', 'application/geo+json')}?limit=20`);
    expect([first.status, mediaType(first.type)]).toEqual([200, 'application/geo+json']);
    const one = first.json();
    // 4 reporting sample assets × 12 fixes in the last hour, inside the default 24-hour window.
    expect([one.numberMatched, one.numberReturned, one.features.length]).toEqual([48, 20, 20]);
    expect(Date.parse(one.timeStamp)).toBeGreaterThanOrEqual(before - 1000);
    expect(one.links.map((l) => l.rel)).toEqual(['self', 'alternate', 'next', 'collection']);
    const next = link(one.links, 'next');
    expect(next).toMatch(/datetime=\d{4}-\d\d-\d\dT[\d:.]+Z\/\.\.&limit=20&cursor=/);

    const second = (await get<Items>(next)).json();
    expect([second.numberMatched, second.numberReturned]).toEqual([48, 20]);
    const ids = new Set([...one.features, ...second.features].map((f) => f.id));
    expect(ids.size).toBe(40);
    const back = (await get<Items>(link(second.links, 'prev'))).json();
    expect(back.features.map((f) => f.id)).toEqual(one.features.map((f) => f.id));

    const feature = await get<{ id: string; links: Link[] }>(
      `${api}/ogc/collections/positions/items/${one.features[0].id}`,
    );
    expect([feature.status, feature.json().id]).toEqual([200, one.features[0].id]);
    expect(feature.json().links.map((l) => l.rel)).toEqual(['self', 'alternate', 'collection']);
  });

  it('keeps tenants apart: the default tenant sees none of these features', async () => {
    const theirs = await http<Items>('GET', '/ogc/collections/assets/items', { tenant: idle });
    expect(theirs.body.numberMatched).toBe(0);
    const mine = await http<Items>('GET', '/ogc/collections/assets/items', { tenant });
    expect(mine.body.numberMatched).toBe(5);
    const id = mine.body.features[0].id;
    const other = await http<{ code: string }>('GET', `/ogc/collections/assets/items/${id}`, { tenant: idle });
    expect([other.status, other.body.code]).toEqual([404, 'OGC.FEATURE_NOT_FOUND']);
  });

  it.each([
    ['/ogc/collections/nope', 404, 'OGC.COLLECTION_NOT_FOUND'],
    ['/ogc/collections/nope/items', 404, 'OGC.COLLECTION_NOT_FOUND'],
    ['/ogc/collections/zones/items/00000000-0000-0000-0000-000000000000', 404, 'OGC.FEATURE_NOT_FOUND'],
    ['/ogc/collections/positions/items/not-an-id', 404, 'OGC.FEATURE_NOT_FOUND'],
    ['/ogc/collections/assets/items?limit=unlimited', 400, 'OGC.PARAMETER_INVALID'],
    ['/ogc/collections/assets/items?bbox=1,2,3', 400, 'OGC.PARAMETER_INVALID'],
    ['/ogc/collections/assets/items?datetime=yesterday', 400, 'OGC.DATETIME_INVALID'],
    ['/ogc/collections/assets/items?datetime=2025-01-02T00:00:00Z/2025-01-01T00:00:00Z', 400, 'OGC.DATETIME_INVALID'],
    ['/ogc/collections/assets/items?unknownQueryParameter=1', 400, 'OGC.PARAMETER_UNKNOWN'],
    ['/ogc/collections/assets/items?cursor=bogus', 400, 'QUERY.CURSOR_INVALID'],
  ])('GET %s → %i %s (problem+json)', async (path, status, code) => {
    const res = await http<{ code: string }>('GET', path, { tenant });
    expect([res.status, mediaType(res.contentType), res.body.code]).toEqual([status, 'application/problem+json', code]);
  });

  it('lowers a limit above 10,000 to 10,000 (kept in the links it writes); every datetime form is a 200', async () => {
    const big = await http<Items>('GET', '/ogc/collections/positions/items?limit=99999', { tenant });
    expect([big.status, big.body.numberReturned, big.body.numberMatched]).toEqual([200, 48, 48]);
    // Follow a next link with the limit raised (as the test suite does: the last value counts):
    // the rest of the 48 in one page, and its prev link states the limit it was answered with.
    const first = await http<Items>('GET', '/ogc/collections/positions/items?limit=20', { tenant });
    const rest = (await get<Items>(`${link(first.body.links, 'next')}&limit=20000`)).json();
    expect([rest.numberReturned, rest.links.map((l) => l.rel)]).toEqual([
      28,
      ['self', 'alternate', 'prev', 'collection'],
    ]);
    expect(new URL(link(rest.links, 'prev')).searchParams.get('limit')).toBe('10000');
    const t = new Date(Date.now() - 2 * 3600_000).toISOString();
    for (const datetime of [t, `${t}/..`, `../${t}`, `${t}/${new Date().toISOString()}`]) {
      const res = await http<Items>('GET', `/ogc/collections/positions/items?datetime=${datetime}`, { tenant });
      expect([datetime, res.status]).toEqual([datetime, 200]);
    }
  });

  it('serves HTML to a browser: escaped, with links between pages', async () => {
    const page = await get(`${api}/ogc/collections/positions/items?limit=5`, {
      accept: 'text/html,application/xhtml+xml,*/*;q=0.8',
    });
    expect([page.status, page.type]).toEqual([200, 'text/html; charset=utf-8']);
    expect(page.text).toContain('<!DOCTYPE html>');
    expect(page.text).toMatch(/<a href="[^"]+cursor=[^"]+" rel="next">/);
    expect(page.text).toContain('5 of 48 features');
  });

  it('passes the OGC test suite (ets-ogcapi-features10 1.9) through the tenant-header proxy: 0 failed', async () => {
    const proxy = await startHeaderProxy({
      target: api,
      authorization: async () => (await authHeaders(tenant)).authorization,
    });
    try {
      const jar = process.env.OGC_ETS_JAR ?? join(ROOT, '..', 'shared', 'tools', 'ets-ogcapi-features10-aio.jar');
      const result = await runEts({ jar, iut: `${proxy.url}/ogc/`, outDir: join(ROOT, '.local', 'ogc-ets-e2e') });
      process.stderr.write(
        `[ogc] ETS: total ${result.total}, passed ${result.passed}, failed ${result.failed}, ` +
          `skipped ${result.skipped} in ${(result.durationMs / 1000).toFixed(1)} s\n`,
      );
      const failed = result.tests.filter((t) => t.status === 'FAIL').map((t) => `${t.name}: ${t.message ?? ''}`);
      expect(failed).toEqual([]);
      expect(result.failed).toBe(0);
      expect(result.passed).toBeGreaterThan(200);
    } finally {
      await proxy.close();
    }
  }, 300_000);

  it("lists and reads every collection with GDAL's ogrinfo (OAPIF driver, token in GDAL_HTTP_HEADERS)", async () => {
    await run('bash', [join(ROOT, 'infra', 'scripts', 'gdal.sh'), 'ensure'], { timeout: 600_000 });
    // Debian's GDAL 3.6 has no GDAL_HTTP_AUTH=BEARER (3.9 added it); the header works in every version.
    const { authorization } = await authHeaders(tenant);
    const env = { ...process.env, GDAL_HTTP_HEADERS: `Authorization: ${authorization}` };
    const list = await run('ogrinfo', ['-ro', `OAPIF:${api}/ogc`], { env });
    expect(list.stdout).toMatch(/1: assets \(title: Assets\) \(Point\)/);
    expect(list.stdout).toMatch(/2: zones \(title: Zones\) \(Polygon\)/);
    expect(list.stdout).toMatch(/3: positions \(title: Positions\) \(Point\)/);
    for (const [layer, count] of [
      ['assets', 5],
      ['zones', 1],
      ['positions', 48],
    ] as const) {
      const summary = await run('ogrinfo', ['-ro', '-so', `OAPIF:${api}/ogc`, layer], { env });
      expect(summary.stdout).toContain(`Feature Count: ${count}`);
      // Reading every feature, page after page (GDAL follows the next links).
      const all = await run('ogrinfo', ['-ro', '-al', '-q', `OAPIF:${api}/ogc`, layer], { env, maxBuffer: 1 << 24 });
      expect(all.stdout.match(/^OGRFeature\(/gm)).toHaveLength(count);
    }
  }, 600_000);
});
