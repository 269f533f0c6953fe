/**
 * Demo assets and a few minutes of telemetry around Zurich, loaded through the public API as any
 * client would: with an access token of the demo tenant's administrator service account (idempotent).
 */
import { TokenSource } from '@meridian/shared/testing';

const KINDS = ['drone', 'vehicle', 'sensor', 'crew'] as const;
const CENTER = { lon: 8.5417, lat: 47.3769 };

async function post(
  url: string,
  body: unknown,
  headers: Record<string, string> = {},
): Promise<{ status: number; json: unknown }> {
  const res = await fetch(url, {
    method: 'POST',
    headers: { 'content-type': 'application/json', ...headers },
    body: JSON.stringify(body),
  });
  return { status: res.status, json: await res.json() };
}

/** Who loads the demo data: the demo tenant's administrator (`<tenant>-admin`), by client credentials. */
export interface DemoClient {
  readonly issuer: string;
  readonly clientId: string;
  readonly clientSecret: string;
}

/**
 * The demo tenant and its administrator reach the gateway through identity's topics on Kafka (principal
 * snapshots, signing keys): wait until its token is admitted.
 */
async function waitForTenant(apiUrl: string, auth: () => Promise<Record<string, string>>, timeoutMs = 60_000) {
  const deadline = Date.now() + timeoutMs;
  for (;;) {
    const headers = await auth().catch(() => ({}));
    const res = await fetch(`${apiUrl}/v1/assets?limit=1`, { headers });
    if (res.status === 200) return;
    if (Date.now() > deadline) throw new Error(`the demo tenant is not known to the gateway (HTTP ${res.status})`);
    await new Promise((r) => setTimeout(r, 250));
  }
}

export async function loadDemoData(
  apiUrl: string,
  client: DemoClient,
  assets = 24,
): Promise<{ assets: number; fixes: number }> {
  const tokens = new TokenSource(client);
  const auth = () => tokens.headers();
  await waitForTenant(apiUrl, auth);
  const ids: string[] = [];
  for (let i = 0; i < assets; i++) {
    const kind = KINDS[i % KINDS.length];
    const { status, json } = await post(
      `${apiUrl}/v1/assets`,
      { name: `Demo ${kind} ${i + 1}`, kind },
      { 'idempotency-key': `demo-asset-${i}`, ...(await auth()) },
    );
    if (status !== 201 && status !== 202) throw new Error(`demo asset ${i}: HTTP ${status} ${JSON.stringify(json)}`);
    ids.push((json as { id: string }).id);
  }
  const now = Date.now();
  const fixes = ids.flatMap((assetId, a) =>
    Array.from({ length: 30 }, (_, k) => {
      const angle = (a / ids.length) * 2 * Math.PI + k * 0.02;
      const radius = 0.01 + 0.0005 * k;
      return {
        assetId,
        ts: new Date(now - (30 - k) * 10_000).toISOString(),
        lon: +(CENTER.lon + radius * Math.cos(angle)).toFixed(6),
        lat: +(CENTER.lat + radius * Math.sin(angle)).toFixed(6),
        speed: 5 + (a % 7),
        heading: Math.round((angle * 180) / Math.PI + 90) % 360,
      };
    }),
  );
  // Fixes of assets the gateway has not seen projected yet are retried: registration is eventually visible.
  let pending = fixes;
  for (let attempt = 0; pending.length > 0 && attempt < 20; attempt++) {
    const { status, json } = await post(`${apiUrl}/v1/telemetry`, { fixes: pending }, await auth());
    if (status !== 202) throw new Error(`demo telemetry: HTTP ${status} ${JSON.stringify(json)}`);
    const rejected = new Set((json as { rejected: { index: number }[] }).rejected.map((r) => r.index));
    pending = pending.filter((_, i) => rejected.has(i));
    if (pending.length) await new Promise((r) => setTimeout(r, 500));
  }
  return { assets: ids.length, fixes: fixes.length - pending.length };
}
