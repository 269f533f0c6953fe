/** Boots the whole system for e2e tests: a fresh database, topics on the test broker, all five services. */
import { randomUUID } from 'node:crypto';
import { request } from 'node:http';
import { join } from 'node:path';
import { Client } from 'pg';
import { dlqDefinitions, topicDefinitions } from '@meridian/contracts';
import { MessageBus } from '@meridian/shared/messaging';
import { silentLog } from '@meridian/shared/util';
import { ROOT, type ServiceName, type Stack, startStack } from '../../tools/stack';
import { onDatabase, testDatabaseUrl, testKafkaBrokers, testRedisUrl } from '../test-env';

export const E2E_PORTS: Record<ServiceName, number> = {
  gateway: 18080,
  identity: 18081,
  workflow: 18082,
  projection: 18083,
  'geo-query': 18084,
};

export const api = `http://127.0.0.1:${E2E_PORTS.gateway}`;
export const brokers = testKafkaBrokers();
// The e2e database lives on the test database's server (TEST_DATABASE_URL or MERIDIAN_PG_*).
const adminUrl = process.env.TEST_ADMIN_DATABASE_URL ?? onDatabase(testDatabaseUrl(), 'postgres');
export const e2eDatabaseUrl = process.env.E2E_DATABASE_URL ?? onDatabase(testDatabaseUrl(), 'meridian_e2e');
export const redisUrl = testRedisUrl();

async function recreateDatabase(): Promise<void> {
  const name = new URL(e2eDatabaseUrl).pathname.slice(1);
  const admin = new Client({ connectionString: adminUrl });
  await admin.connect();
  try {
    await admin.query(`DROP DATABASE IF EXISTS ${name} WITH (FORCE)`);
    await admin.query(`CREATE DATABASE ${name}`);
  } finally {
    await admin.end();
  }
  const db = new Client({ connectionString: e2eDatabaseUrl });
  await db.connect();
  await db.query('CREATE EXTENSION IF NOT EXISTS postgis');
  await db.end();
}

export interface E2eSystem {
  readonly stack: Stack;
  readonly tenants: readonly string[];
  readonly instanceId: string;
  stop(): Promise<void>;
}

export async function startSystem(tenants: readonly string[]): Promise<E2eSystem> {
  await recreateDatabase();
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
      GATEWAY_DEFAULT_TENANT: tenants[0],
      GATEWAY_BODY_LIMIT_BYTES: String(512 * 1024),
      LOG_LEVEL: 'info',
    },
    ports: E2E_PORTS,
    logDir: join(ROOT, '.local', 'logs', 'e2e'),
    progress: (line) => process.stderr.write(`[e2e] ${line.trim()}\n`),
  });
  await waitForTenants(tenants);
  return { stack, tenants, instanceId, stop: () => stack.stop() };
}

/** Tenants registered at identity's start reach the gateway through Kafka; wait until it admits them. */
async function waitForTenants(tenants: readonly string[]): Promise<void> {
  const deadline = Date.now() + 60_000;
  for (const tenant of tenants) {
    for (;;) {
      const res = await fetch(`${api}/v1/assets?limit=1`, { headers: { 'x-tenant-id': tenant } });
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
  options: { body?: unknown; raw?: string | Buffer; headers?: Record<string, string>; tenant?: string } = {},
): Promise<HttpResult<T>> {
  const headers: Record<string, string> = {
    ...(options.tenant ? { 'x-tenant-id': options.tenant } : {}),
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
