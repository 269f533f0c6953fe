/**
 * What the console's browser tests share: signing in and out through the real login page, and the
 * tests' own set-up through the public HTTP API, as the tenant's administrator (the service account
 * `demo-admin`, client credentials) — the way test/e2e sets up, without importing project code.
 * Pure: @playwright/test, node built-ins and fetch only.
 */
import { mkdirSync } from 'node:fs';
import { join } from 'node:path';
import { expect, type Page } from '@playwright/test';
import { API, CONSOLE_URL, ISSUER } from './addresses';
import { type ConsoleUser, TENANT, TENANT_ADMIN } from './users';

// ---------------------------------------------------------------------------------------------
// The browser

/** How long signing in may take: the issuer's login page, the code exchange, the console's first calls. */
const SIGN_IN_TIMEOUT_MS = 30_000;

const isIssuerPage = (url: URL): boolean => url.origin === new URL(ISSUER).origin;
const isConsolePage = (url: URL): boolean => url.href.startsWith(CONSOLE_URL);

/**
 * Signs `user` in the way a person does: the console's "Sign in" button, identity's login form
 * (tenant, username, password; libs/identity/feature-oidc/src/interactions/login-page.ts), back to
 * the console, which then names the user in `[data-testid="whoami"]`.
 */
export async function signIn(page: Page, user: ConsoleUser): Promise<void> {
  await page.goto('/console/');
  await page.getByRole('button', { name: 'Sign in' }).click();
  await page.waitForURL(isIssuerPage, { timeout: SIGN_IN_TIMEOUT_MS });
  await page.locator('#tenant').fill(user.tenantId);
  await page.locator('#username').fill(user.username);
  await page.locator('#password').fill(user.password);
  await page.getByRole('button', { name: 'Log in' }).click();
  await page.waitForURL(isConsolePage, { timeout: SIGN_IN_TIMEOUT_MS });
  await expect(page.getByTestId('whoami')).toContainText(user.username, { timeout: SIGN_IN_TIMEOUT_MS });
  await waitForMap(page);
}

/**
 * Waits until the console's map has loaded its style and the live asset layers (the shell then puts
 * the map on `window.meridianMap` for tests and the frame-time benchmark).
 */
export async function waitForMap(page: Page): Promise<void> {
  await page.waitForFunction(
    () => {
      const map = (globalThis as { meridianMap?: { isStyleLoaded(): boolean; getLayer(id: string): unknown } })
        .meridianMap;
      return Boolean(map?.getLayer('live-assets-dot'));
    },
    undefined,
    { timeout: SIGN_IN_TIMEOUT_MS },
  );
}

/**
 * Signs out with the console's "Sign out" button. The console ends the issuer's session too
 * (RP-initiated logout): on the issuer's confirmation page, confirms with its "Sign out" button,
 * and waits to be back on the console.
 */
export async function signOut(page: Page): Promise<void> {
  const toIssuer = page.waitForURL(isIssuerPage, { timeout: 15_000 }).then(
    () => true,
    () => false,
  );
  await page.getByRole('button', { name: 'Sign out' }).click();
  if (!(await toIssuer)) return; // stayed on the console: the caller's expectations tell
  await page.getByRole('button', { name: 'Sign out' }).click();
  await page.waitForURL(isConsolePage, { timeout: SIGN_IN_TIMEOUT_MS });
}

/**
 * Makes the next load of the console find a session the issuer no longer honours: a made-up refresh
 * token and user in the tab's sessionStorage, under the keys apps/console/src/auth/session.ts uses.
 * Seeded once per tab (not again after the console clears them).
 */
export async function seedInvalidSession(page: Page, username = 'ghost'): Promise<void> {
  const user = JSON.stringify({ subject: 'ghost', tenant: TENANT, username, name: 'Nobody' });
  await page.addInitScript({
    content: `(() => {
      if (location.origin !== ${JSON.stringify(new URL(API).origin)}) return;
      if (sessionStorage.getItem('meridian.test.seeded')) return;
      sessionStorage.setItem('meridian.test.seeded', '1');
      sessionStorage.setItem('meridian.console.refresh', 'not-a-refresh-token');
      sessionStorage.setItem('meridian.console.user', ${JSON.stringify(user)});
    })();`,
  });
}

// ---------------------------------------------------------------------------------------------
// The map (the shell puts it on `window.meridianMap` for tests and the benchmark)

export type LonLat = readonly [number, number];

/** Centres the console's map on a point, at once. */
export const jumpTo = (page: Page, [lon, lat]: LonLat, zoom: number): Promise<void> =>
  page.evaluate(
    ([x, y, z]) => {
      const map = (globalThis as unknown as { meridianMap: { jumpTo(o: object): void } }).meridianMap;
      map.jumpTo({ center: [x, y], zoom: z });
    },
    [lon, lat, zoom] as const,
  );

/** Clicks the map at a lon/lat (the map must show it). */
export async function clickMap(page: Page, [lon, lat]: LonLat): Promise<void> {
  const point = await page.evaluate(
    ([x, y]) => {
      const map = (globalThis as unknown as { meridianMap: { project(p: [number, number]): { x: number; y: number } } })
        .meridianMap;
      return map.project([x, y]);
    },
    [lon, lat] as const,
  );
  const box = await page.getByTestId('map').boundingBox();
  if (!box) throw new Error('no map');
  await page.mouse.click(box.x + point.x, box.y + point.y);
}

// ---------------------------------------------------------------------------------------------
// Polling

export interface WaitOptions {
  /** Give up after this long (default 30 s). */
  readonly timeoutMs?: number;
  readonly intervalMs?: number;
  /** Says what was awaited, in the error. */
  readonly message?: string;
}

/**
 * Calls `probe` until it returns something other than undefined, null or false, and returns that;
 * throws after the timeout with the last value or error.
 */
export async function waitFor<T>(
  probe: () => Promise<T | undefined | null | false> | T | undefined | null | false,
  options: WaitOptions = {},
): Promise<T> {
  const timeoutMs = options.timeoutMs ?? 30_000;
  const deadline = Date.now() + timeoutMs;
  let last: unknown;
  for (;;) {
    try {
      const value = await probe();
      if (value !== undefined && value !== null && value !== false) return value;
      last = value;
    } catch (err) {
      last = err;
    }
    if (Date.now() > deadline) {
      const detail = last instanceof Error ? last.message : JSON.stringify(last);
      throw new Error(`${options.message ?? 'condition'} not met within ${timeoutMs} ms (last: ${detail})`);
    }
    await new Promise((r) => setTimeout(r, options.intervalMs ?? 250));
  }
}

// ---------------------------------------------------------------------------------------------
// The API, as the tenant administrator

const API_RESOURCE = 'urn:meridian:api';
let tokenEndpoint: Promise<string> | undefined;
const tokens = new Map<string, { readonly token: string; readonly expiresAt: number }>();

async function discoverTokenEndpoint(): Promise<string> {
  const res = await fetch(`${ISSUER}/.well-known/openid-configuration`);
  if (!res.ok) throw new Error(`discovery at ${ISSUER} answered ${res.status}`);
  return ((await res.json()) as { token_endpoint: string }).token_endpoint;
}

/**
 * An access token of `<tenant>-admin` (role admin; every bootstrap tenant has one, secret
 * TENANT_ADMIN_SECRET of test/e2e/e2e-stack.ts), by client credentials; cached until shortly
 * before it expires.
 */
export async function adminToken(tenant: string = TENANT): Promise<string> {
  const held = tokens.get(tenant);
  if (held && held.expiresAt - 30_000 > Date.now()) return held.token;
  tokenEndpoint ??= discoverTokenEndpoint().catch((err: unknown) => {
    tokenEndpoint = undefined;
    throw err;
  });
  const clientId = `${tenant}-admin`;
  const basic = Buffer.from(
    `${encodeURIComponent(clientId)}:${encodeURIComponent(TENANT_ADMIN.clientSecret)}`,
  ).toString('base64');
  const res = await fetch(await tokenEndpoint, {
    method: 'POST',
    headers: { 'content-type': 'application/x-www-form-urlencoded', authorization: `Basic ${basic}` },
    body: new URLSearchParams({ grant_type: 'client_credentials', scope: 'api', resource: API_RESOURCE }),
  });
  const body = (await res.json()) as { access_token?: string; expires_in?: number; error?: string };
  if (!res.ok || !body.access_token)
    throw new Error(`token for ${clientId} refused: ${res.status} ${body.error ?? ''}`);
  tokens.set(tenant, { token: body.access_token, expiresAt: Date.now() + (body.expires_in ?? 60) * 1000 });
  return body.access_token;
}

export interface ApiResponse<T = unknown> {
  readonly status: number;
  readonly body: T;
}

/** One API call as the tenant's administrator; JSON in and out (the text when the answer is not JSON). */
export async function apiRequest<T = unknown>(
  method: string,
  path: string,
  body?: unknown,
  options: { readonly tenant?: string; readonly headers?: Record<string, string> } = {},
): Promise<ApiResponse<T>> {
  const headers: Record<string, string> = {
    authorization: `Bearer ${await adminToken(options.tenant)}`,
    ...(body === undefined ? {} : { 'content-type': 'application/json' }),
    ...options.headers,
  };
  const res = await fetch(`${API}${path}`, {
    method,
    headers,
    body: body === undefined ? undefined : JSON.stringify(body),
  });
  const text = await res.text();
  let parsed: unknown = text;
  try {
    parsed = text ? JSON.parse(text) : null;
  } catch {
    // not JSON: keep the text
  }
  return { status: res.status, body: parsed as T };
}

export type AssetKind = 'drone' | 'vehicle' | 'sensor' | 'crew';

/** POST /v1/assets (RegisterAssetBody: name, kind, and the access attributes of RegisterAssetV2). */
export interface NewAsset {
  readonly name: string;
  readonly kind?: AssetKind;
  /** 0 (public, the default) to 4: a principal's clearance must reach it. */
  readonly sensitivity?: number;
  /** Only principals of this team (or without a team restriction) see it; null/absent = no team. */
  readonly team?: string | null;
}

/**
 * Registers an asset and waits until it reads back (GET /v1/assets/{id} 200), i.e. until the gateway
 * admits telemetry for it. Returns its id.
 */
export async function registerAsset(asset: NewAsset, tenant: string = TENANT): Promise<string> {
  const body = { kind: 'drone', ...asset };
  const res = await apiRequest<{ id?: string }>('POST', '/v1/assets', body, { tenant });
  if ((res.status !== 201 && res.status !== 202) || !res.body.id) {
    throw new Error(`registering ${JSON.stringify(body)} answered ${res.status}: ${JSON.stringify(res.body)}`);
  }
  const id = res.body.id;
  await waitFor(async () => (await apiRequest('GET', `/v1/assets/${id}`, undefined, { tenant })).status === 200, {
    message: `asset ${id} readable`,
  });
  return id;
}

/** One position; `ts` defaults to now (an ISO string or a Date). */
export interface NewFix {
  readonly lon: number;
  readonly lat: number;
  readonly ts?: string | Date;
  readonly speed?: number;
  readonly heading?: number;
  readonly alt?: number;
}

export interface TelemetryResult {
  readonly accepted: number;
  readonly rejected: readonly { readonly index: number; readonly code: string; readonly detail: string }[];
}

/**
 * POST /v1/telemetry (`{"fixes": [...]}`) for one asset; 202 means every accepted fix is durable in
 * Kafka (the read models follow shortly: wait for them with `waitFor`). Throws unless all were accepted.
 */
export async function postTelemetry(
  assetId: string,
  fixes: readonly NewFix[],
  tenant: string = TENANT,
): Promise<TelemetryResult> {
  const body = {
    fixes: fixes.map(({ ts, ...fix }) => ({
      assetId,
      ts: ts === undefined ? new Date().toISOString() : ts instanceof Date ? ts.toISOString() : ts,
      ...fix,
    })),
  };
  const res = await apiRequest<TelemetryResult>('POST', '/v1/telemetry', body, { tenant });
  if (res.status !== 202 || res.body.rejected.length > 0) {
    throw new Error(`telemetry for ${assetId} answered ${res.status}: ${JSON.stringify(res.body)}`);
  }
  return res.body;
}

/** Resolves once the shared map has stopped moving and drawn everything it loaded. */
export const mapSettled = (page: Page) =>
  page.waitForFunction(() => {
    const map = (globalThis as unknown as { meridianMap: { isMoving(): boolean; loaded(): boolean } }).meridianMap;
    return !map.isMoving() && map.loaded();
  });

/**
 * With MERIDIAN_CONSOLE_SCREENSHOTS=1, writes the page, its map settled, to docs/console/<name>.png
 * (the guide's and the README's pictures); otherwise does nothing.
 */
export async function screenshot(page: Page, name: string): Promise<void> {
  if (process.env.MERIDIAN_CONSOLE_SCREENSHOTS !== '1') return;
  await mapSettled(page);
  const dir = join(__dirname, '..', '..', 'docs', 'console');
  mkdirSync(dir, { recursive: true });
  await page.screenshot({ path: join(dir, `${name}.png`) });
}
