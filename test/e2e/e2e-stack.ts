/** Boots the whole system for e2e tests: a fresh database, topics on the test broker, all five services. */
import { randomUUID } from 'node:crypto';
import { request } from 'node:http';
import { createServer, type Server } from 'node:net';
import { join } from 'node:path';
import { dlqDefinitions, topicDefinitions } from '@meridian/contracts';
import { MessageBus } from '@meridian/shared/messaging';
import { TokenSource } from '@meridian/shared/testing';
import { silentLog } from '@meridian/shared/util';
import { ROOT, type ServiceName, type Stack, startStack } from '../../tools/stack';
import { onDatabase, recreatePostgisDatabase, testDatabaseUrl, testKafkaBrokers, testRedisUrl } from '../test-env';

export const E2E_PORTS: Record<ServiceName, number> = {
  gateway: 18080,
  identity: 18081,
  workflow: 18082,
  projection: 18083,
  'geo-query': 18084,
};

export const api = `http://127.0.0.1:${E2E_PORTS.gateway}`;
/** identity's OpenID Connect server (its protocol port; E2E_PORTS holds the management ports). */
export const OIDC_PORT = 18086;
export const issuer = `http://127.0.0.1:${OIDC_PORT}`;
/** Every bootstrap tenant gets a service account `<tenant>-admin` (role admin) with this secret. */
export const TENANT_ADMIN_SECRET = 'e2e-tenant-admin-secret';
export const PLATFORM_SECRET = 'e2e-platform-secret';
/** Where the console client (authorization code + PKCE) is sent back to: the gateway's Swagger UI. */
export const CONSOLE_REDIRECT_URI = `${api}/docs/oauth2-redirect.html`;
/** …and the web console the gateway serves (`npm run console:build`; browser tests in test/console). */
export const CONSOLE_APP_REDIRECT_URI = `${api}/console/`;

const tokenSources = new Map<string, TokenSource>();

/** A client of the API the way an integrator's service is one: client credentials for a service account. */
export function tokenSource(clientId: string, clientSecret: string): TokenSource {
  let source = tokenSources.get(clientId);
  if (!source) {
    source = new TokenSource({ issuer, clientId, clientSecret });
    tokenSources.set(clientId, source);
  }
  return source;
}

/** `Authorization` for the tenant's bootstrap administrator (`<tenant>-admin`). */
export const authHeaders = (tenant: string): Promise<Record<string, string>> =>
  tokenSource(`${tenant}-admin`, TENANT_ADMIN_SECRET).headers();

/** The platform administrator's `Authorization` (POST /v1/tenants). */
export const platformHeaders = (): Promise<Record<string, string>> =>
  tokenSource('platform-admin', PLATFORM_SECRET).headers();

/** The tenant `http` acts as when a call names none: the first of the running system's tenants. */
let defaultTenant: string | undefined;
export const brokers = testKafkaBrokers();
// The e2e database lives on the test database's server (TEST_DATABASE_URL or MERIDIAN_PG_*).
const adminUrl = process.env.TEST_ADMIN_DATABASE_URL ?? onDatabase(testDatabaseUrl(), 'postgres');
/** Where the e2e system's geo-query writes export files and its gateway reads them. */
export const E2E_EXPORTS_DIR = join(ROOT, '.local', 'e2e-exports');

export const e2eDatabaseUrl = process.env.E2E_DATABASE_URL ?? onDatabase(testDatabaseUrl(), 'meridian_e2e');
export const redisUrl = testRedisUrl();

/**
 * The ports above and the database are fixed, so one e2e system runs on a machine at a time: two
 * at once would answer each other's requests and drop each other's database. A listening socket
 * on this port is the lock (the OS frees it when the holder exits); a second run waits for it.
 */
const LOCK_PORT = 18089;
const LOCK_WAIT_MS = Number(process.env.E2E_LOCK_WAIT_MS ?? 180_000);

const listenOn = (port: number): Promise<Server | undefined> =>
  new Promise((done, fail) => {
    const server = createServer();
    server.once('error', (err: NodeJS.ErrnoException) => (err.code === 'EADDRINUSE' ? done(undefined) : fail(err)));
    server.listen({ port, host: '127.0.0.1', exclusive: true }, () => done(server));
  });

const closeServer = (server: Server): Promise<void> => new Promise((done) => server.close(() => done()));

async function acquireLock(): Promise<Server> {
  const started = Date.now();
  let reported = started;
  for (;;) {
    const lock = await listenOn(LOCK_PORT);
    if (lock) return lock.unref();
    if (Date.now() - started > LOCK_WAIT_MS) {
      throw new Error(`another e2e system held 127.0.0.1:${LOCK_PORT} for ${LOCK_WAIT_MS} ms (E2E_LOCK_WAIT_MS)`);
    }
    if (Date.now() - reported > 10_000) {
      process.stderr.write(`[e2e] waiting for another e2e run on this machine to finish (lock port ${LOCK_PORT})\n`);
      reported = Date.now();
    }
    await new Promise((r) => setTimeout(r, 500));
  }
}

/** Fails fast when a service port is taken (a stale service): readiness would probe someone else's. */
async function ensurePortsFree(): Promise<void> {
  for (const [name, port] of Object.entries(E2E_PORTS)) {
    const probe = await listenOn(port);
    if (!probe) throw new Error(`port ${port} for ${name} is in use by another process (ss -ltnp 'sport = :${port}')`);
    await closeServer(probe);
  }
}

export interface E2eSystem {
  readonly stack: Stack;
  readonly tenants: readonly string[];
  readonly instanceId: string;
  stop(): Promise<void>;
}

/**
 * Starts the system with these bootstrap tenants; `extraEnv` goes to every service on top of the
 * shared settings (e.g. IDENTITY_BOOTSTRAP_USERS for the browser tests).
 */
export async function startSystem(
  tenants: readonly string[],
  extraEnv: Readonly<Record<string, string>> = {},
): Promise<E2eSystem> {
  const lock = await acquireLock();
  try {
    const system = await bootSystem(tenants, extraEnv);
    return { ...system, stop: () => system.stop().finally(() => closeServer(lock)) };
  } catch (err) {
    await closeServer(lock);
    throw err;
  }
}

async function bootSystem(tenants: readonly string[], extraEnv: Readonly<Record<string, string>>): Promise<E2eSystem> {
  await ensurePortsFree();
  await recreatePostgisDatabase(e2eDatabaseUrl, adminUrl);
  const bus = new MessageBus({ brokers, clientId: 'e2e-setup', log: silentLog });
  await bus.ensureTopics([...topicDefinitions, ...dlqDefinitions]);
  await bus.close();
  const instanceId = `e2e-${randomUUID().slice(0, 8)}`;
  const stack = await startStack({
    env: {
      KAFKA_BROKERS: brokers.join(','),
      DATABASE_URL: e2eDatabaseUrl,
      REDIS_URL: redisUrl,
      INSTANCE_ID: instanceId,
      IDENTITY_BOOTSTRAP_TENANTS: tenants.join(','),
      IDENTITY_OIDC_PORT: String(OIDC_PORT),
      OIDC_ISSUER: issuer,
      IDENTITY_BOOTSTRAP_ADMIN_SECRET: TENANT_ADMIN_SECRET,
      IDENTITY_PLATFORM_CLIENT_SECRET: PLATFORM_SECRET,
      IDENTITY_CONSOLE_REDIRECT_URIS: `${CONSOLE_REDIRECT_URI},${CONSOLE_APP_REDIRECT_URI}`,
      GATEWAY_BODY_LIMIT_BYTES: String(512 * 1024),
      // Webhook receivers in tests are loopback servers; exports land in one directory for geo-query and gateway.
      WEBHOOKS_ALLOW_LOOPBACK: 'true',
      EXPORTS_DIR: E2E_EXPORTS_DIR,
      LOG_LEVEL: 'info',
      ...extraEnv,
    },
    ports: E2E_PORTS,
    logDir: join(ROOT, '.local', 'logs', 'e2e'),
    progress: (line) => process.stderr.write(`[e2e] ${line.trim()}\n`),
  });
  defaultTenant = tenants[0];
  try {
    await waitForTenants(tenants);
  } catch (err) {
    await stack.stop();
    throw err;
  }
  return { stack, tenants, instanceId, stop: () => stack.stop() };
}

/**
 * Tenants and their administrators registered at identity's start reach the gateway through Kafka
 * (principal snapshots, signing keys); wait until each administrator's token is admitted.
 */
async function waitForTenants(tenants: readonly string[]): Promise<void> {
  const deadline = Date.now() + 60_000;
  for (const tenant of tenants) {
    for (;;) {
      const headers = await authHeaders(tenant).catch(() => null);
      const res = headers ? await fetch(`${api}/v1/assets?limit=1`, { headers }) : { status: 0 };
      if (res.status === 200) break;
      if (Date.now() > deadline)
        throw new Error(`tenant ${tenant} never became known to the gateway (last HTTP ${res.status})`);
      await new Promise((r) => setTimeout(r, 250));
    }
  }
}

export interface HttpResult<T = unknown> {
  readonly status: number;
  readonly contentType: string;
  readonly body: T;
}

export async function http<T = unknown>(
  method: string,
  path: string,
  options: {
    body?: unknown;
    raw?: string | Buffer;
    headers?: Record<string, string>;
    /** Acts as this tenant's administrator; the system's first tenant when absent. */
    tenant?: string;
    /** Sends no token (unless `headers` carries one). */
    anonymous?: boolean;
  } = {},
): Promise<HttpResult<T>> {
  const tenant = options.tenant ?? defaultTenant;
  const headers: Record<string, string> = {
    ...(!options.anonymous && tenant ? await authHeaders(tenant) : {}),
    ...options.headers,
  };
  let payload: string | Buffer | undefined;
  if (options.raw !== undefined) payload = options.raw;
  else if (options.body !== undefined) {
    payload = JSON.stringify(options.body);
    headers['content-type'] ??= 'application/json';
  }
  const res = await fetch(`${api}${path}`, { method, headers, body: payload });
  const text = await res.text();
  let body: unknown = text;
  try {
    body = text ? JSON.parse(text) : null;
  } catch {
    // not JSON: keep the text
  }
  return { status: res.status, contentType: res.headers.get('content-type') ?? '', body: body as T };
}

/**
 * Posts a body the server is expected to refuse before reading it (413): node:http keeps the
 * early response even when the server stops reading, where fetch reports EPIPE.
 */
export function postOversize(path: string, body: Buffer, headers: Record<string, string>): Promise<HttpResult> {
  return new Promise((resolve, reject) => {
    const req = request(
      `${api}${path}`,
      { method: 'POST', headers: { ...headers, 'content-length': String(body.length) } },
      (res) => {
        let text = '';
        res.on('data', (d: Buffer) => (text += d.toString()));
        res.on('end', () =>
          resolve({
            status: res.statusCode ?? 0,
            contentType: String(res.headers['content-type'] ?? ''),
            body: JSON.parse(text) as unknown,
          }),
        );
      },
    );
    req.on('error', (err: NodeJS.ErrnoException) => {
      if (err.code !== 'EPIPE' && err.code !== 'ECONNRESET') reject(err);
      else setTimeout(() => reject(new Error(`no response after ${err.code}`)), 10_000).unref();
    });
    req.end(body);
  });
}

/** Runs `work` over `items` with at most `limit` in flight. */
export async function pool<T, R>(
  items: readonly T[],
  limit: number,
  work: (item: T, index: number) => Promise<R>,
): Promise<R[]> {
  const results: R[] = new Array(items.length);
  let next = 0;
  const worker = async () => {
    for (let i = next++; i < items.length; i = next++) results[i] = await work(items[i], i);
  };
  await Promise.all(Array.from({ length: Math.min(limit, items.length) }, worker));
  return results;
}

export async function eventually<T>(
  probe: () => Promise<T>,
  accept: (value: T) => boolean,
  timeoutMs = 60_000,
): Promise<T> {
  const deadline = Date.now() + timeoutMs;
  for (;;) {
    const value = await probe();
    if (accept(value)) return value;
    if (Date.now() > deadline) return value;
    await new Promise((r) => setTimeout(r, 300));
  }
}

/**
 * Registers `count` assets in a tenant (8 at a time) and waits until each reads back, i.e. until
 * telemetry for it is admitted (the gateway's directory asks geo-query). Returns their ids.
 */
export async function registerAssets(count: number, tenant: string, namePrefix: string): Promise<string[]> {
  const results = await pool(Array.from({ length: count }), 8, (_, i) =>
    http<{ id: string }>('POST', '/v1/assets', { body: { name: `${namePrefix} ${i}`, kind: 'sensor' }, tenant }),
  );
  const refused = results.filter((r) => r.status !== 201 && r.status !== 202);
  if (refused.length > 0) throw new Error(`registration refused: ${JSON.stringify(refused[0])}`);
  const ids = results.map((r) => r.body.id);
  await pool(ids, 8, async (id) => {
    const read = await eventually(
      () => http('GET', `/v1/assets/${id}`, { tenant }),
      (r) => r.status === 200,
    );
    if (read.status !== 200) throw new Error(`asset ${id} never became readable (HTTP ${read.status})`);
  });
  return ids;
}
