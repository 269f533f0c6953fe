import { randomUUID } from 'node:crypto';
import { afterAll, beforeAll, describe, expect, it } from '@jest/globals';
import * as client from 'openid-client';
import { squarePolygon } from '@meridian/shared/geometry';
import { formLogin, readMvt, readSse, TokenSource } from '@meridian/shared/testing';
import {
  api,
  authHeaders,
  CONSOLE_REDIRECT_URI,
  type E2eSystem,
  eventually,
  http,
  issuer,
  platformHeaders,
  registerAssets,
  startSystem,
} from './e2e-stack';

/*
 * Identity and permissions through the public API, as operators and clients meet them: the platform
 * administrator creates a tenant and its first administrator, who logs in with authorization code +
 * PKCE at the embedded provider; an administrator creates a region-restricted service account that
 * sees only what lies inside its region on lists, tiles and the stream; a revoked role is refused
 * within seconds; the audit trail shows who changed what.
 */

const tenant = `e2e-id-${randomUUID().slice(0, 6)}`;
let system: E2eSystem;

const west = { lon: 8.45, lat: 47.37 };
const east = { lon: 8.65, lat: 47.37 };
/** The western half of the test area: west is inside, east is not. */
const westRegion = {
  type: 'Polygon',
  coordinates: [
    [
      [8.3, 47.2],
      [8.55, 47.2],
      [8.55, 47.5],
      [8.3, 47.5],
      [8.3, 47.2],
    ],
  ],
};

beforeAll(async () => {
  system = await startSystem([tenant]);
}, 300_000);

afterAll(async () => {
  await system?.stop();
}, 120_000);

/** The XYZ tile containing a point. */
function tileOf(z: number, lon: number, lat: number): string {
  const n = 2 ** z;
  const rad = (lat * Math.PI) / 180;
  const x = Math.floor(((lon + 180) / 360) * n);
  const y = Math.floor(((1 - Math.log(Math.tan(rad) + 1 / Math.cos(rad)) / Math.PI) / 2) * n);
  return `${z}/${x}/${y}`;
}

async function createServiceAccount(body: Record<string, unknown>): Promise<TokenSource> {
  const created = await http<{ clientId: string; clientSecret: string }>('POST', '/v1/service-accounts', {
    tenant,
    body,
  });
  expect(created.status).toBe(201);
  const source = new TokenSource({ issuer, clientId: created.body.clientId, clientSecret: created.body.clientSecret });
  // The new account reaches identity's read model (its token endpoint) and the gateway (a principal
  // snapshot on Kafka) within moments: wait until a token is issued and admitted.
  const admitted = await eventually(
    async () => {
      const headers = await source.headers().catch(() => null);
      return headers ? (await fetch(`${api}/v1/zones?limit=1`, { headers })).status : 0;
    },
    (status) => status !== 401 && status !== 0,
    30_000,
  );
  expect(admitted).not.toBe(401);
  return source;
}

describe('identity and permissions through the API', () => {
  it('the platform administrator creates a tenant; its first administrator logs in with code + PKCE', async () => {
    const newTenant = `e2e-nt-${randomUUID().slice(0, 6)}`;
    const password = `pw-${randomUUID()}`;
    const created = await http<{ tenantId: string; adminUserId: string }>('POST', '/v1/tenants', {
      anonymous: true,
      headers: await platformHeaders(),
      body: { tenantId: newTenant, name: 'New org', admin: { username: 'first', password, displayName: 'First' } },
    });
    expect(created.status).toBe(201);
    // A tenant administrator may not create tenants.
    const refused = await http<{ code: string }>('POST', '/v1/tenants', {
      tenant,
      body: {
        tenantId: `e2e-nx-${randomUUID().slice(0, 6)}`,
        name: 'x',
        admin: { username: 'a', password, displayName: 'A' },
      },
    });
    expect([refused.status, refused.body.code]).toEqual([403, 'AUTH.FORBIDDEN_ROLE']);

    const config = await client.discovery(new URL(issuer), 'meridian-console', undefined, client.None(), {
      execute: [client.allowInsecureRequests],
    });
    const verifier = client.randomPKCECodeVerifier();
    const state = client.randomState();
    const url = client.buildAuthorizationUrl(config, {
      redirect_uri: CONSOLE_REDIRECT_URI,
      scope: 'openid api offline_access',
      code_challenge: await client.calculatePKCECodeChallenge(verifier),
      code_challenge_method: 'S256',
      state,
    });
    // The user may log in as soon as identity's read model has them: retry the form briefly.
    const callback = await eventually(
      () => formLogin(url, { tenant: newTenant, username: 'first', password }).catch(() => null),
      (u) => u !== null && u.searchParams.has('code'),
      20_000,
    );
    if (!callback) throw new Error('the first administrator could not log in');
    const tokens = await client.authorizationCodeGrant(config, callback, {
      pkceCodeVerifier: verifier,
      expectedState: state,
    });
    const asUser = { authorization: `Bearer ${tokens.access_token}` };
    const mine = await eventually(
      () => http<{ features: unknown[] }>('GET', '/v1/assets', { anonymous: true, headers: asUser }),
      (r) => r.status === 200,
      20_000,
    );
    expect(mine.status).toBe(200);
    expect(mine.body.features).toEqual([]);
    // The user's token is for the new tenant only; a refresh gives another that works too.
    const refreshed = await client.refreshTokenGrant(config, tokens.refresh_token as string);
    const again = await http('GET', '/v1/zones', {
      anonymous: true,
      headers: { authorization: `Bearer ${refreshed.access_token}` },
    });
    expect(again.status).toBe(200);
  }, 120_000);

  it('a region-restricted service account sees only what lies inside its region: lists, tiles, stream', async () => {
    const [inside, outside] = await registerAssets(2, tenant, 'Regional drone');
    const ts = new Date(Date.now() - 60_000).toISOString();
    const fixes = [
      { assetId: inside, ts, ...west },
      { assetId: outside, ts, ...east },
    ];
    expect((await http('POST', '/v1/telemetry', { tenant, body: { fixes } })).status).toBe(202);
    const area = '8.3,47.2,8.8,47.5';
    await eventually(
      () => http<{ features: unknown[] }>('GET', `/v1/assets?bbox=${area}`, { tenant }),
      (r) => r.body.features?.length === 2,
    );
    const regional = await createServiceAccount({
      clientId: `regional-${randomUUID().slice(0, 6)}`,
      name: 'Western dispatcher',
      roles: ['viewer'],
      attributes: { region: westRegion },
    });
    const as = async () => ({ anonymous: true, headers: await regional.headers() });
    const ids = (r: { body: { features?: { id: string }[] } }) => (r.body.features ?? []).map((f) => f.id).sort();

    expect(ids(await http('GET', `/v1/assets?bbox=${area}`, await as()))).toEqual([inside]);
    expect(ids(await http('GET', '/v1/assets?limit=1000', await as()))).toEqual([inside]);
    expect((await http('GET', `/v1/assets/${outside}`, await as())).status).toBe(404);
    expect((await http('GET', `/v1/assets/${inside}`, await as())).status).toBe(200);
    expect(ids(await http('GET', `/ogc/collections/assets/items?bbox=${area}`, await as()))).toEqual([inside]);

    const tile = await fetch(`${api}/v1/tiles/assets/${tileOf(9, 8.55, 47.37)}.mvt`, {
      headers: await regional.headers(),
    });
    const layer = tile.status === 200 ? (readMvt(Buffer.from(await tile.arrayBuffer()))['assets']?.features ?? []) : [];
    expect(layer.map((f) => String(f.properties['id']))).toEqual([inside]);

    const stream = await readSse(`${api}/v1/stream?types=position`, await regional.headers());
    const everything = await readSse(`${api}/v1/stream?types=position`, await authHeaders(tenant));
    try {
      const now = new Date().toISOString();
      const moved = [
        { assetId: outside, ts: now, ...east },
        { assetId: inside, ts: now, ...west },
      ];
      expect((await http('POST', '/v1/telemetry', { tenant, body: { fixes: moved } })).status).toBe(202);
      await everything.until(
        (events) => ['"' + inside, '"' + outside].every((id) => events.some((e) => e.data.includes(id.slice(1)))),
        30_000,
      );
      await stream.until((events) => events.some((e) => e.data.includes(inside)), 30_000);
      expect(stream.events.filter((e) => e.data.includes(outside))).toEqual([]);
    } finally {
      stream.close();
      everything.close();
    }
  }, 180_000);

  it('a revoked role is refused within seconds, and the audit trail shows who changed it', async () => {
    const clientId = `revoked-${randomUUID().slice(0, 6)}`;
    const account = await createServiceAccount({ clientId, name: 'Soon a nobody', roles: ['operator'] });
    const zone = { name: 'Z', kind: 'geofence', geometry: squarePolygon(8.5, 47.3, 0.01) };
    const allowed = await http('POST', '/v1/zones', { anonymous: true, headers: await account.headers(), body: zone });
    expect(allowed.status).toBe(201);

    const revoke = await http('PUT', `/v1/service-accounts/${clientId}/membership`, {
      tenant,
      body: { roles: ['viewer'] },
    });
    expect([200, 202, 204]).toContain(revoke.status);
    const revokedAt = Date.now();
    // The same token, still unexpired, is refused once the new principal snapshot reaches the gateway.
    const refused = await eventually(
      async () =>
        http<{ code: string }>('POST', '/v1/zones', { anonymous: true, headers: await account.headers(), body: zone }),
      (r) => r.status === 403,
      10_000,
    );
    const seconds = (Date.now() - revokedAt) / 1000;
    process.stderr.write(`[identity] revoked role refused after ${seconds.toFixed(2)} s\n`);
    expect([refused.status, refused.body.code]).toEqual([403, 'AUTH.FORBIDDEN_ROLE']);
    expect(seconds).toBeLessThan(10);

    // The permission change is in the audit trail, with the administrator who made it.
    const audit = await eventually(
      () =>
        http<{ entries: { type: string; actor: string; resource: string | null }[] }>(
          'GET',
          `/v1/audit?resource=${clientId}`,
          { tenant },
        ),
      (r) => (r.body.entries ?? []).some((e) => e.type.includes('membership-changed')),
    );
    const change = audit.body.entries.find((e) => e.type.includes('membership-changed'));
    expect(change?.actor).toBe(`${tenant}-admin`);
    // ... and reading the trail needs audit:read, which the account never had.
    const denied = await http<{ code: string }>('GET', '/v1/audit', {
      anonymous: true,
      headers: await account.headers(),
    });
    expect([denied.status, denied.body.code]).toEqual([403, 'AUTH.FORBIDDEN_ROLE']);
    // Refused attempts are no events: the gateway logs and counts them.
    const counted = await http<{ byCode: Record<string, number> }>('GET', '/internal/refusals', { tenant });
    expect(counted.body.byCode['AUTH.FORBIDDEN_ROLE']).toBeGreaterThanOrEqual(2);
  }, 120_000);
});
