/**
 * How the gateway serves the console and how identity lets it in: no token needed for its files,
 * a content security policy that allows nothing from another origin but the issuer, its settings,
 * and CORS on the token endpoint for the console's origin only.
 */
import { expect, test } from '@playwright/test';
import { API, CONSOLE_URL, ISSUER } from './addresses';

test('the console is served without a token, under a policy that loads nothing from elsewhere', async ({ request }) => {
  const index = await request.get(CONSOLE_URL);
  expect(index.status()).toBe(200);
  expect(index.headers()['content-type']).toContain('text/html');
  const policy = index.headers()['content-security-policy'] ?? '';
  expect(policy).toContain("default-src 'self'");
  expect(policy).toContain("script-src 'self'");
  expect(policy).toContain(`connect-src 'self' ${new URL(ISSUER).origin}`);
  expect(policy).toContain("frame-ancestors 'none'");
  expect(index.headers()['cache-control']).toBe('no-cache');

  // Every script and style the page names is the console's own, and is cached for good.
  const html = await index.text();
  const assets = [...html.matchAll(/(?:src|href)="([^"]+)"/g)].map((m) => m[1] ?? '').filter((u) => u !== 'data:,');
  expect(assets.length).toBeGreaterThan(0);
  for (const asset of assets) {
    expect(asset.startsWith('/console/assets/')).toBe(true);
    const res = await request.get(new URL(asset, API).href);
    expect(res.status()).toBe(200);
    expect(res.headers()['cache-control']).toContain('immutable');
  }

  const bare = await request.get(`${API}/console`, { maxRedirects: 0 });
  expect(bare.status()).toBe(302);
  expect(bare.headers()['location']).toBe('/console/');
});

test('the console reads where to sign in from its settings', async ({ request }) => {
  const res = await request.get(`${CONSOLE_URL}config.json`);
  expect(res.status()).toBe(200);
  expect(await res.json()).toEqual({ issuer: ISSUER, clientId: 'meridian-console', api: API });
});

test("the token endpoint answers CORS for the console's origin, and only for it", async ({ request }) => {
  const discovery = (await (await request.get(`${ISSUER}/.well-known/openid-configuration`)).json()) as {
    token_endpoint: string;
  };
  const body = 'grant_type=refresh_token&refresh_token=not-a-token&client_id=meridian-console';
  const form = { 'content-type': 'application/x-www-form-urlencoded' };
  const fromConsole = await request.post(discovery.token_endpoint, {
    headers: { ...form, origin: new URL(API).origin },
    data: body,
  });
  // Refused (the token is made up), but readable by the console: the browser shows the reason.
  expect(fromConsole.status()).toBe(400);
  expect(fromConsole.headers()['access-control-allow-origin']).toBe(new URL(API).origin);

  const fromElsewhere = await request.post(discovery.token_endpoint, {
    headers: { ...form, origin: 'http://evil.example' },
    data: body,
  });
  expect(fromElsewhere.headers()['access-control-allow-origin']).toBeUndefined();
});

test('hostile or unknown console paths answer 4xx, never a file outside the build or a 5xx', async ({ request }) => {
  for (const path of [
    '/console/..%2f..%2fpackage.json',
    '/console/%2e%2e/%2e%2e/package.json',
    '/console/assets/nothing-here.js',
    '/console/%00',
  ]) {
    const res = await request.get(`${API}${path}`, { maxRedirects: 0 });
    expect(res.status(), path).toBeGreaterThanOrEqual(400);
    expect(res.status(), path).toBeLessThan(500);
    expect(await res.text(), path).not.toContain('"name": "meridian"');
  }
});
