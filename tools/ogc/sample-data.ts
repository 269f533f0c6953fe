/**
 * Makes sure a tenant has something in each OGC collection, through the public API: the OGC test
 * suite and `ogrinfo` need features to read. Adds assets (one never reports a position: geometry
 * null), a short track per positioned asset in the last hour, and a zone, when the tenant has none.
 * The tenant is the access token's: `authorization` is the header value, `Bearer <token>`, of a
 * principal that may write assets, telemetry and zones (an operator).
 */
export interface SampleData {
  readonly assets: number;
  readonly fixes: number;
  readonly zones: number;
}

interface Page {
  /** Left out when more match than geo-query counts. */
  readonly numberMatched?: number;
}

const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));

export async function ensureSampleData(baseUrl: string, authorization: string, now = Date.now()): Promise<SampleData> {
  const headers = { authorization, 'content-type': 'application/json' };
  const call = async <T>(method: string, path: string, body?: unknown): Promise<T> => {
    const res = await fetch(`${baseUrl}${path}`, {
      method,
      headers,
      ...(body === undefined ? {} : { body: JSON.stringify(body) }),
    });
    const text = await res.text();
    if (res.status >= 300) throw new Error(`${method} ${path}: HTTP ${res.status} ${text}`);
    return JSON.parse(text) as T;
  };
  const matched = async (collection: string) =>
    (await call<Page>('GET', `/ogc/collections/${collection}/items?limit=1`)).numberMatched ?? Number.POSITIVE_INFINITY;

  const added = { assets: 0, fixes: 0, zones: 0 };
  if ((await matched('assets')) === 0 || (await matched('positions')) === 0) {
    const kinds = ['drone', 'vehicle', 'sensor', 'crew', 'vehicle'];
    const ids: string[] = [];
    for (const [i, kind] of kinds.entries()) {
      ids.push((await call<{ id: string }>('POST', '/v1/assets', { name: `OGC sample ${i + 1}`, kind })).id);
    }
    added.assets = ids.length;
    // Telemetry is admitted once the gateway knows the asset (it asks geo-query).
    for (const id of ids) {
      for (let tries = 0; tries < 200; tries++) {
        const res = await fetch(`${baseUrl}/v1/assets/${id}`, { headers });
        if (res.status === 200) break;
        await sleep(100);
      }
    }
    // The last asset never reports: it is an asset without a geometry.
    const fixes = ids.slice(0, -1).flatMap((assetId, a) =>
      Array.from({ length: 12 }, (_, i) => ({
        assetId,
        ts: new Date(now - 60 * 60 * 1000 + (a * 12 + i) * 60 * 1000).toISOString(),
        lon: 8.5 + a * 0.05 + i * 0.004,
        lat: 47.35 + i * 0.002,
        speed: 10 + i,
      })),
    );
    const result = await call<{ accepted: number }>('POST', '/v1/telemetry', { fixes });
    added.fixes = result.accepted;
  }
  if ((await matched('zones')) === 0) {
    const ring = [
      [8.45, 47.3],
      [8.75, 47.3],
      [8.75, 47.45],
      [8.45, 47.45],
      [8.45, 47.3],
    ];
    await call('POST', '/v1/zones', {
      name: 'OGC sample depot',
      kind: 'geofence',
      geometry: { type: 'Polygon', coordinates: [ring] },
      sensitivity: 0,
    });
    added.zones = 1;
  }
  // Wait until the projections show what was added.
  const want = { assets: added.assets > 0, positions: added.fixes > 0, zones: added.zones > 0 };
  for (const [collection, needed] of Object.entries(want)) {
    if (!needed) continue;
    for (let tries = 0; ; tries++) {
      const n = await matched(collection);
      if ((collection === 'positions' && n >= added.fixes) || (collection !== 'positions' && n > 0)) break;
      if (tries > 300) throw new Error(`${collection} stayed empty`);
      await sleep(200);
    }
  }
  return added;
}
