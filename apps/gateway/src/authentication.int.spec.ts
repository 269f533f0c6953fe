import 'reflect-metadata';
import { randomBytes, randomUUID } from 'node:crypto';
import { Controller, Get, Module, Post } from '@nestjs/common';
import { NestFactory } from '@nestjs/core';
import { FastifyAdapter, type NestFastifyApplication } from '@nestjs/platform-fastify';
import { afterAll, beforeAll, describe, expect, it } from '@jest/globals';
import { type CryptoKey, exportJWK, exportSPKI, generateKeyPair, type JWK, SignJWT } from 'jose';
import Redis from 'ioredis';
import pino from 'pino';
import { type MessageContract, MeridianHeaders, Topics, toWire, type WireMessage } from '@meridian/contracts/core';
import {
  API_AUDIENCE,
  type Principal,
  principalKey,
  PrincipalSnapshotV1,
  SigningKeyV1,
} from '@meridian/contracts/identity';
import { StreamLog } from '@meridian/gateway/feature-stream';
import { actingPrincipal, Actor, RequirePermission } from '@meridian/gateway/util-auth';
import { buildOpenApi, Tenant } from '@meridian/gateway/util-http';
import { type MessageBus, toWireMessage } from '@meridian/shared/messaging';
import { loadConfig } from '@meridian/shared/service-kit';
import { createTestBus, readSse, testBrokers, testDatabaseUrl } from '@meridian/shared/testing';
import { GatewayModule } from './app.module';
import { gatewayConfigSchema } from './config';
import { configureRequests } from './http';

/**
 * The token-abuse table through HTTP against the real gateway (GatewayModule with every feature,
 * http.ts's hooks), its KeyDirectory and PrincipalDirectory reading the identity topics of the
 * test broker, where this file publishes signing keys and principal snapshots as identity would.
 */

const run = randomBytes(4).toString('hex');
const ISSUER = `http://issuer-${run}.test`;
const TENANT = `acme-${run}`;
const LIMITED = `tiny-${run}`;
const HOUR = 3_600_000;
const REDIS_URL = process.env['TEST_REDIS_URL'] ?? 'redis://127.0.0.1:6379';

interface TestKey {
  readonly kid: string;
  readonly privateKey: CryptoKey;
  readonly publicKey: CryptoKey;
  readonly publicJwk: JWK;
}

async function newKey(kid: string): Promise<TestKey> {
  const { privateKey, publicKey } = await generateKeyPair('ES256', { extractable: true });
  const publicJwk = { ...(await exportJWK(publicKey)), kid, alg: 'ES256', use: 'sig' };
  return { kid, privateKey, publicKey, publicJwk };
}

const envelope = (contract: MessageContract, data: unknown, key: string): WireMessage =>
  toWire(
    {
      id: randomUUID(),
      type: contract.type,
      source: '/test/identity',
      time: new Date().toISOString(),
      dataschema: contract.dataschema,
      data,
      correlationId: randomUUID(),
    },
    key,
  );

const iso = (ms: number): string => new Date(ms).toISOString();

/** lon 0..10, lat 0..10. */
const WEST: Principal['region'] = {
  type: 'Polygon',
  coordinates: [
    [
      [0, 0],
      [10, 0],
      [10, 10],
      [0, 10],
      [0, 0],
    ],
  ],
};

let bus: MessageBus;
let app: NestFastifyApplication;
let base: string;
const keys: Record<string, TestKey> = {};
const versions = new Map<string, number>();

async function publishKey(
  key: TestKey,
  times: { activatesAt: number; retiredAt?: number; expiresAt?: number },
  issuer = ISSUER,
): Promise<void> {
  const data = {
    issuer,
    jwk: key.publicJwk,
    createdAt: iso(Date.now() - HOUR),
    activatesAt: iso(times.activatesAt),
    retiredAt: times.retiredAt === undefined ? null : iso(times.retiredAt),
    expiresAt: times.expiresAt === undefined ? null : iso(times.expiresAt),
  };
  await bus.send(Topics.identityKeys, [envelope(SigningKeyV1, data, key.kid)]);
}

const principal = (tenantId: string, subject: string, over: Partial<Principal> = {}): Principal => ({
  tenantId,
  subject,
  kind: 'user',
  roles: ['viewer'],
  platformAdmin: false,
  region: null,
  clearance: 0,
  teams: null,
  hours: null,
  ...over,
});

/** Publishes the next version of a principal's snapshot. */
async function publishPrincipal(p: Principal, active = true): Promise<void> {
  const key = principalKey(p.tenantId, p.subject);
  const version = (versions.get(key) ?? 0) + 1;
  versions.set(key, version);
  const data = { principal: p, name: p.subject, active, version, changedAt: new Date().toISOString() };
  await bus.send(Topics.identityPrincipals, [envelope(PrincipalSnapshotV1, data, key)]);
}

interface TokenOptions {
  readonly key?: TestKey;
  readonly kid?: string;
  readonly sub?: string;
  readonly tenant?: string;
  readonly iss?: string;
  readonly aud?: string;
  /** Seconds from now. */
  readonly exp?: number;
  readonly nbf?: number;
  readonly typ?: string;
}

async function token(o: TokenOptions = {}): Promise<string> {
  const key = o.key ?? keys.current;
  const now = Math.floor(Date.now() / 1000);
  const jwt = new SignJWT({ tenant: o.tenant ?? TENANT, client_id: 'console', scope: 'openid api' })
    .setProtectedHeader({ alg: 'ES256', typ: o.typ ?? 'at+jwt', kid: o.kid ?? key.kid })
    .setIssuer(o.iss ?? ISSUER)
    .setSubject(o.sub ?? 'viewer')
    .setAudience(o.aud ?? API_AUDIENCE)
    .setIssuedAt(now - 10)
    .setExpirationTime(now + (o.exp ?? 300))
    .setJti(randomUUID());
  if (o.nbf !== undefined) jwt.setNotBefore(now + o.nbf);
  return jwt.sign(key.privateKey);
}

const b64 = (value: unknown): string => Buffer.from(JSON.stringify(value)).toString('base64url');
const claims = () => ({
  iss: ISSUER,
  sub: 'viewer',
  aud: API_AUDIENCE,
  tenant: TENANT,
  iat: Math.floor(Date.now() / 1000),
  exp: Math.floor(Date.now() / 1000) + 300,
});

interface Answer {
  readonly status: number;
  readonly headers: Headers;
  readonly body: Record<string, unknown>;
}

async function call(
  path: string,
  authorization?: string,
  init: { method?: string; headers?: Record<string, string>; body?: string } = {},
): Promise<Answer> {
  const res = await fetch(`${base}${path}`, {
    method: init.method ?? 'GET',
    headers: { ...(authorization === undefined ? {} : { authorization }), ...init.headers },
    ...(init.body === undefined ? {} : { body: init.body }),
  });
  const text = await res.text();
  let body: Record<string, unknown> = {};
  try {
    body = JSON.parse(text) as Record<string, unknown>;
  } catch {
    body = { text };
  }
  return { status: res.status, headers: res.headers, body };
}

const bearer = async (o: TokenOptions = {}): Promise<string> => `Bearer ${await token(o)}`;

/** A route of this test only: what the controller sees of the principal, through every Nest layer. */
@Controller('v1/auth-probe')
class ProbeController {
  @Get()
  @RequirePermission('assets:read')
  probe(@Actor() actor: Principal, @Tenant() tenantId: string): Record<string, unknown> {
    return { actor, tenantId, acting: actingPrincipal() ?? null };
  }

  @Post('tenants')
  @RequirePermission('tenants:admin')
  platform(@Actor() actor: Principal): Record<string, unknown> {
    return { subject: actor.subject, tenantId: actor.tenantId };
  }
}

beforeAll(async () => {
  bus = createTestBus('auth-int');
  keys.current = await newKey(`current-${run}`);
  keys.impostor = await newKey(`current-${run}`); // the same kid, another key pair
  keys.expired = await newKey(`expired-${run}`);
  keys.retiring = await newKey(`retiring-${run}`);
  keys.future = await newKey(`future-${run}`);
  keys.foreign = await newKey(`foreign-${run}`);
  keys.unpublished = await newKey(`unknown-${run}`);
  const now = Date.now();
  await publishKey(keys.current, { activatesAt: now - HOUR });
  await publishKey(keys.expired, { activatesAt: now - 3 * HOUR, retiredAt: now - 2 * HOUR, expiresAt: now - 60_000 });
  await publishKey(keys.retiring, { activatesAt: now - 3 * HOUR, retiredAt: now - 60_000, expiresAt: now + HOUR });
  await publishKey(keys.future, { activatesAt: now + HOUR });
  await publishKey(keys.foreign, { activatesAt: now - HOUR }, 'http://another-issuer.test');
  await publishPrincipal(principal(TENANT, 'viewer'));
  await publishPrincipal(principal(TENANT, 'admin', { roles: ['admin'] }));
  await publishPrincipal(principal(TENANT, 'nobody', { roles: [] }));
  await publishPrincipal(principal(TENANT, 'gone'), false);
  await publishPrincipal(principal(LIMITED, 'viewer'));
  await publishPrincipal(principal(TENANT, 'west', { region: WEST }));
  await publishPrincipal(
    principal('platform', `platform-admin-${run}`, { kind: 'service-account', roles: [], platformAdmin: true }),
  );

  const config = loadConfig(gatewayConfigSchema, {
    KAFKA_BROKERS: testBrokers().join(','),
    DATABASE_URL: testDatabaseUrl(),
    REDIS_URL,
    LOG_LEVEL: 'silent',
    INSTANCE_ID: `auth-int-${run}`,
    OIDC_ISSUER: ISSUER,
    GATEWAY_QUERY_TIMEOUT_MS: '1000',
    GATEWAY_RATE_TENANT_OVERRIDES: JSON.stringify({ [LIMITED]: { ratePerSecond: 0.1, burst: 2 } }),
  });
  const logger = pino({ level: 'silent' });

  @Module({ imports: [GatewayModule.forRoot(config, logger)], controllers: [ProbeController] })
  class TestGateway {}

  app = await NestFactory.create<NestFastifyApplication>(TestGateway, new FastifyAdapter({ trustProxy: true }), {
    logger: false,
  });
  // configureDocs (Swagger UI) is left out: @fastify/static needs an ESM-only package Jest cannot load.
  configureRequests(app, config);
  await app.init();
  await app.listen(0, '127.0.0.1');
  base = await app.getUrl();
  base = base.replace('[::1]', '127.0.0.1');
  // Ready once both directories caught up with what was published above.
  const viewer = await bearer();
  const deadline = Date.now() + 60_000;
  for (let s = 503; s === 503;) {
    if (Date.now() > deadline) throw new Error('the gateway did not load its directories within 60 s');
    s = (await call('/v1/auth-probe', viewer)).status;
    if (s === 503) await new Promise((r) => setTimeout(r, 200));
  }
});

afterAll(async () => {
  await app?.close();
  await bus?.close();
});

const expectProblem = (answer: Answer, status: number, code: string): void => {
  expect({ status: answer.status, code: answer.body['code'] }).toEqual({ status, code });
  expect(answer.headers.get('content-type')).toMatch(/^application\/problem\+json/);
};

describe('gateway authentication: the token-abuse table', () => {
  it('serves a valid token, with the principal of its snapshot on the request and in the acting scope', async () => {
    const answer = await call('/v1/auth-probe', await bearer());
    expect(answer.status).toBe(200);
    const expected = principal(TENANT, 'viewer');
    expect(answer.body).toEqual({ actor: expected, tenantId: TENANT, acting: expected });
  });

  const refused: [string, () => Promise<string | undefined>, number, string][] = [
    ['no Authorization header', async () => undefined, 401, 'AUTH.TOKEN_MISSING'],
    ['another scheme (Basic)', async () => 'Basic dXNlcjpwYXNz', 401, 'AUTH.TOKEN_MISSING'],
    ['a malformed token', async () => 'Bearer not-a-jwt', 401, 'AUTH.TOKEN_INVALID'],
    ['a malformed header', async () => `Bearer ${await token()} extra`, 401, 'AUTH.TOKEN_INVALID'],
    ['an expired token', () => bearer({ exp: -60 }), 401, 'AUTH.TOKEN_EXPIRED'],
    ['a token not valid yet (nbf)', () => bearer({ nbf: 120 }), 401, 'AUTH.TOKEN_EXPIRED'],
    [
      'a token signed by another key with the same kid',
      () => bearer({ key: keys.impostor }),
      401,
      'AUTH.TOKEN_INVALID',
    ],
    [
      'alg: none',
      async () => `Bearer ${b64({ alg: 'none', typ: 'at+jwt', kid: keys.current.kid })}.${b64(claims())}.`,
      401,
      'AUTH.TOKEN_INVALID',
    ],
    [
      'HS256 with the public key as the secret',
      async () => {
        const secret = new TextEncoder().encode(await exportSPKI(keys.current.publicKey));
        const jwt = await new SignJWT(claims())
          .setProtectedHeader({ alg: 'HS256', typ: 'at+jwt', kid: keys.current.kid })
          .sign(secret);
        return `Bearer ${jwt}`;
      },
      401,
      'AUTH.TOKEN_INVALID',
    ],
    ['an unknown kid', () => bearer({ key: keys.unpublished }), 401, 'AUTH.TOKEN_INVALID'],
    ['a wrong audience', () => bearer({ aud: 'urn:someone:else' }), 401, 'AUTH.TOKEN_INVALID'],
    ['a wrong issuer', () => bearer({ iss: 'http://evil.test' }), 401, 'AUTH.TOKEN_INVALID'],
    ['a key of another issuer', () => bearer({ key: keys.foreign }), 401, 'AUTH.TOKEN_INVALID'],
    ['a retired key past its expiresAt', () => bearer({ key: keys.expired }), 401, 'AUTH.TOKEN_INVALID'],
    ['a key not active yet', () => bearer({ key: keys.future }), 401, 'AUTH.TOKEN_INVALID'],
    ['a token that is not an access token (typ)', () => bearer({ typ: 'JWT' }), 401, 'AUTH.TOKEN_INVALID'],
    ['a subject without a principal snapshot', () => bearer({ sub: 'stranger' }), 401, 'AUTH.PRINCIPAL_UNKNOWN'],
    ['a principal whose snapshot is inactive', () => bearer({ sub: 'gone' }), 401, 'AUTH.PRINCIPAL_UNKNOWN'],
    [
      'a token of a tenant the subject is not in',
      () => bearer({ tenant: LIMITED, sub: 'admin' }),
      401,
      'AUTH.PRINCIPAL_UNKNOWN',
    ],
  ];

  it.each(refused)('refuses %s, as problem+json with a Bearer challenge', async (_case, header, status, code) => {
    const answer = await call('/v1/auth-probe', await header());
    expectProblem(answer, status, code);
    expect(answer.headers.get('www-authenticate')).toMatch(/^Bearer realm="meridian"/);
  });

  it('verifies with a retired key until its expiresAt (rotation)', async () => {
    expect((await call('/v1/auth-probe', await bearer({ key: keys.retiring }))).status).toBe(200);
  });

  it('never takes a token from the query string', async () => {
    const answer = await call(`/v1/auth-probe?access_token=${await token()}`);
    expectProblem(answer, 401, 'AUTH.TOKEN_MISSING');
  });

  it('refuses a role without the route permission with 403 AUTH.FORBIDDEN_ROLE, on real routes too', async () => {
    expectProblem(await call('/v1/auth-probe', await bearer({ sub: 'nobody' })), 403, 'AUTH.FORBIDDEN_ROLE');
    // A viewer may not write zones nor ingest telemetry: refused before any body is looked at.
    const viewer = await bearer();
    const json = { 'content-type': 'application/json' };
    expectProblem(
      await call('/v1/zones', viewer, { method: 'POST', headers: json, body: '{}' }),
      403,
      'AUTH.FORBIDDEN_ROLE',
    );
    expectProblem(
      await call('/v1/telemetry', viewer, { method: 'POST', headers: json, body: '{"fixes":[]}' }),
      403,
      'AUTH.FORBIDDEN_ROLE',
    );
    expectProblem(await call('/internal/timings', viewer), 403, 'AUTH.FORBIDDEN_ROLE');
    expect((await call('/internal/timings', await bearer({ sub: 'admin' }))).status).toBe(200);
  });

  it('lets a platform administrator call platform routes only', async () => {
    const platform = await bearer({ tenant: 'platform', sub: `platform-admin-${run}` });
    const json = { method: 'POST', headers: { 'content-type': 'application/json' }, body: '{}' };
    const created = await call('/v1/auth-probe/tenants', platform, json);
    expect(created).toMatchObject({ status: 201, body: { tenantId: 'platform' } });
    expectProblem(await call('/v1/auth-probe', platform), 403, 'AUTH.FORBIDDEN_ROLE');
    expectProblem(await call('/ogc', platform), 403, 'AUTH.FORBIDDEN_ROLE');
    // And nobody else may call them, a tenant admin included.
    const admin = await bearer({ sub: 'admin' });
    expectProblem(await call('/v1/auth-probe/tenants', admin, json), 403, 'AUTH.FORBIDDEN_ROLE');
  });

  it('serves the public paths without a token, and only them', async () => {
    expect((await call('/health/live')).status).toBe(200);
    expect((await call('/ogc/conformance')).status).toBe(200);
    expect((await call('/ogc/api')).status).toBe(200);
    // The document /openapi.json serves (every feature's operations are registered by now).
    const openapi = { body: buildOpenApi(base) };
    expect(openapi.body).toMatchObject({
      security: [{ bearer: [] }],
      components: { securitySchemes: { bearer: { type: 'http', scheme: 'bearer', bearerFormat: 'JWT' } } },
    });
    expect(JSON.stringify(openapi.body)).not.toMatch(/x-tenant-id/i);
    expectProblem(await call('/ogc'), 401, 'AUTH.TOKEN_MISSING');
    const landing = await call('/ogc', await bearer());
    expect(landing.status).toBe(200);
    expect(String(landing.body['description'])).toContain(TENANT);
  });

  it('forwards the acting principal with every query (meridian-principal)', async () => {
    const correlationId = `auth-int-${run}-${randomBytes(3).toString('hex')}`;
    const { seen } = await requestsOn(Topics.geoQueryRequests, (w) => w.headers['correlation-id'] === correlationId);
    const answer = await call(`/v1/assets/${randomUUID()}`, await bearer(), {
      headers: { 'x-correlation-id': correlationId },
    });
    expect(answer.status).not.toBe(401);
    const request = await seen;
    expect(request.headers[MeridianHeaders.tenantId]).toBe(TENANT);
    expect(JSON.parse(request.headers[MeridianHeaders.principal] ?? 'null')).toEqual(principal(TENANT, 'viewer'));
  });

  it('refuses a removed role within seconds, and a revoked principal too', async () => {
    const admin = await bearer({ sub: 'admin' });
    expect((await call('/internal/timings', admin)).status).toBe(200);
    const started = Date.now();
    await publishPrincipal(principal(TENANT, 'admin', { roles: ['viewer'] }));
    const published = Date.now();
    let answer = await call('/internal/timings', admin);
    while (answer.status === 200 && Date.now() - started < 10_000) {
      await new Promise((r) => setTimeout(r, 20));
      answer = await call('/internal/timings', admin);
    }
    const refusedAfter = Date.now() - published;
    expectProblem(answer, 403, 'AUTH.FORBIDDEN_ROLE');
    expect(refusedAfter).toBeLessThan(5000);
    process.stdout.write(
      `[auth] role removed → refused after ${refusedAfter} ms (publish took ${published - started} ms)\n`,
    );

    await publishPrincipal(principal(TENANT, 'admin', { roles: ['viewer'] }), false);
    const revoked = Date.now();
    for (answer = await call('/v1/auth-probe', admin); answer.status === 200 && Date.now() - revoked < 10_000;) {
      await new Promise((r) => setTimeout(r, 20));
      answer = await call('/v1/auth-probe', admin);
    }
    expectProblem(answer, 401, 'AUTH.PRINCIPAL_UNKNOWN');
    expect(Date.now() - revoked).toBeLessThan(5000);
  });

  it('streams to a region-restricted principal only the events inside its region', async () => {
    const redis = new Redis(REDIS_URL);
    try {
      const log = new StreamLog(redis, { retentionMs: 60_000, maxEvents: 1000 });
      const headers = (authorization: string) => ({ authorization });
      const west = await readSse(`${base}/v1/stream`, headers(await bearer({ sub: 'west' })));
      const everywhere = await readSse(`${base}/v1/stream`, headers(await bearer()));
      expect([west.status, everywhere.status]).toEqual([200, 200]);
      const fix = (n: number, lon: number, lat: number) => ({
        tenantId: TENANT,
        event: 'position' as const,
        data: { assetId: `00000000-0000-4000-8000-00000000000${n}`, ts: new Date().toISOString(), lon, lat },
      });
      await log.append([fix(1, 5, 5), fix(2, 25, 5), fix(3, 9.5, 0.5), fix(4, -5, 5)]);
      const all = await everywhere.until((e) => e.filter((x) => x.event === 'position').length >= 4);
      await log.append([fix(9, 1, 1)]); // a marker inside: what was to come has come
      const seen = await west.until((e) => e.some((x) => x.data.includes('000000000009')));
      const assets = (events: readonly { event?: string; data: string }[]) =>
        events
          .filter((x) => x.event === 'position')
          .map((x) => Number((JSON.parse(x.data) as { assetId: string }).assetId.slice(-1)));
      expect(assets(all)).toEqual([1, 2, 3, 4]);
      expect(assets(seen)).toEqual([1, 3, 9]);
      west.close();
      everywhere.close();
    } finally {
      redis.disconnect();
    }
  });

  it('limits requests per principal with its tenant override: 429 RATE.LIMITED with Retry-After', async () => {
    const limited = await bearer({ tenant: LIMITED });
    expect((await call('/v1/auth-probe', limited)).status).toBe(200);
    expect((await call('/v1/auth-probe', limited)).status).toBe(200);
    const third = await call('/v1/auth-probe', limited);
    expectProblem(third, 429, 'RATE.LIMITED');
    // One token at 0.1/s: about ten seconds.
    expect(Number(third.headers.get('retry-after'))).toBeGreaterThanOrEqual(5);
    expect(Number(third.headers.get('retry-after'))).toBeLessThanOrEqual(10);
    // Another principal's bucket is its own (the default limit).
    expect((await call('/v1/auth-probe', await bearer())).status).toBe(200);
  });
});

/** The first message on `topic` after now that `match` accepts (a consumer positioned at the end first). */
async function requestsOn(
  topic: string,
  match: (wire: WireMessage) => boolean,
): Promise<{ readonly seen: Promise<WireMessage> }> {
  const ends = await bus.endOffsets(topic);
  const consumer = bus.newConsumer(`auth-int-reader-${run}-${randomBytes(3).toString('hex')}`);
  await consumer.connect();
  await consumer.subscribe({ topics: [topic], fromBeginning: false });
  let found: (wire: WireMessage) => void = () => undefined;
  const message = new Promise<WireMessage>((resolve) => (found = resolve));
  await consumer.run({
    eachMessage: async ({ message: m }) => {
      const wire = toWireMessage(m);
      if (match(wire)) found(wire);
    },
  });
  for (const [partition, offset] of ends) consumer.seek({ topic, partition, offset: String(offset) });
  let timer: NodeJS.Timeout | undefined;
  const timeout = new Promise<never>((_, reject) => {
    timer = setTimeout(() => reject(new Error(`no matching message on ${topic} within 20 s`)), 20_000);
  });
  const seen = Promise.race([message, timeout]).finally(async () => {
    clearTimeout(timer);
    await consumer.disconnect();
    bus.forget(consumer);
  });
  return { seen };
}
