import 'reflect-metadata';
import { randomBytes, randomUUID } from 'node:crypto';
import { Module } from '@nestjs/common';
import { NestFactory } from '@nestjs/core';
import { FastifyAdapter, type NestFastifyApplication } from '@nestjs/platform-fastify';
import { afterAll, beforeAll, describe, expect, it } from '@jest/globals';
import { type CryptoKey, exportJWK, generateKeyPair, SignJWT } from 'jose';
import pino from 'pino';
import {
  dlqDefinitions,
  type Envelope,
  type MessageContract,
  queryReply,
  topicDefinitions,
  Topics,
  toWire,
} from '@meridian/contracts/core';
import {
  API_AUDIENCE,
  type Principal,
  principalKey,
  PrincipalSnapshotV1,
  SigningKeyV1,
} from '@meridian/contracts/identity';
import { ListZonesV1 } from '@meridian/contracts/zones';
import { GatewayDataAccessModule, type GatewaySettings } from '@meridian/gateway/data-access';
import { Authentication } from '@meridian/gateway/util-auth';
import { sendProblem, toProblem } from '@meridian/gateway/util-http';
import { type MessageBus, sendReply, Subscription } from '@meridian/shared/messaging';
import { baseConfigSchema, CoreModule, loadConfig } from '@meridian/shared/service-kit';
import { createTestBus, testBrokers, testDatabaseUrl } from '@meridian/shared/testing';
import { silentLog } from '@meridian/shared/util';
import { GatewayZonesModule } from './gateway-zones.module';

/*
 * Zone kinds through HTTP: `mission_area` zones belong to missions (POST /v1/zones refuses them) and
 * GET /v1/zones filters by kind. A gateway booted as apps/gateway boots it (its directories reading
 * the identity topics of the test broker, the authentication hook of apps/gateway/src/http.ts); a
 * stand-in for geo-query reads the real query topic and answers only this file's tenant.
 */

const run = randomBytes(4).toString('hex');
const ISSUER = `http://issuer-zone-kinds-${run}.test`;
const TENANT = `zk-${run}`;
const PUBLIC_URL = 'http://gateway.test';

const principal = (subject: string, roles: Principal['roles']): Principal => ({
  tenantId: TENANT,
  subject,
  kind: 'user',
  roles,
  platformAdmin: false,
  region: null,
  clearance: 4,
  teams: null,
  hours: null,
});
const OPERATOR = principal(`operator-${run}`, ['operator']);
const VIEWER = principal(`viewer-${run}`, ['viewer']);

const AREA = {
  type: 'Polygon',
  coordinates: [
    [
      [8.5, 47.35],
      [8.56, 47.35],
      [8.56, 47.4],
      [8.5, 47.4],
      [8.5, 47.35],
    ],
  ],
};

let bus: MessageBus;
let app: NestFastifyApplication;
let base: string;
let geoQuery: Subscription;
let signingKey: { kid: string; privateKey: CryptoKey };
/** Every query geo-query's stand-in received for this tenant, in order. */
const queries: Envelope[] = [];

const wire = (contract: MessageContract, data: unknown, key: string) =>
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

async function bearer(p: Principal): Promise<string> {
  const now = Math.floor(Date.now() / 1000);
  const jwt = await new SignJWT({ tenant: p.tenantId, client_id: 'console', scope: 'openid api' })
    .setProtectedHeader({ alg: 'ES256', typ: 'at+jwt', kid: signingKey.kid })
    .setIssuer(ISSUER)
    .setSubject(p.subject)
    .setAudience(API_AUDIENCE)
    .setIssuedAt(now - 10)
    .setExpirationTime(now + 300)
    .setJti(randomUUID())
    .sign(signingKey.privateKey);
  return `Bearer ${jwt}`;
}

interface Answer {
  readonly status: number;
  readonly headers: Headers;
  readonly body: Record<string, unknown>;
}

async function call(as: Principal, method: string, path: string, body?: unknown): Promise<Answer> {
  const res = await fetch(`${base}${path}`, {
    method,
    headers: { authorization: await bearer(as), ...(body === undefined ? {} : { 'content-type': 'application/json' }) },
    ...(body === undefined ? {} : { body: JSON.stringify(body) }),
  });
  const text = await res.text();
  return { status: res.status, headers: res.headers, body: text ? (JSON.parse(text) as Record<string, unknown>) : {} };
}

const expectProblem = (answer: Answer, status: number, code: string): void => {
  expect({ status: answer.status, code: answer.body['code'] }).toEqual({ status, code });
  expect(answer.headers.get('content-type')).toMatch(/^application\/problem\+json/);
};

const nextHref = (answer: Answer): string =>
  (answer.body['links'] as { rel: string; href: string }[]).find((l) => l.rel === 'next')?.href ?? '';

/** geo-query's stand-in: a first page of no zones with a next page, whatever the filter. */
async function standInForGeoQuery(): Promise<Subscription> {
  const groupId = `geo-query-stand-in-${run}`;
  // Starts at the topic's end: earlier requests (of other runs) are none of its business.
  const ends = await bus.endOffsets(Topics.geoQueryRequests);
  await (
    await bus.admin()
  ).setOffsets({
    groupId,
    topic: Topics.geoQueryRequests,
    partitions: [...ends].map(([partition, offset]) => ({ partition, offset: String(offset) })),
  });
  const subscription = new Subscription(bus, {
    groupId,
    topics: [Topics.geoQueryRequests],
    concurrency: 4,
    deadLetter: false,
    log: silentLog,
  });
  await subscription.run(async (request) => {
    if (request.tenantId !== TENANT) return;
    queries.push(request);
    const after = (request.data as { after?: string }).after;
    await sendReply(
      bus,
      'geo-query-stand-in',
      request,
      queryReply({ outcome: 'ok', result: { items: [], after: after ? null : randomUUID() } }),
    );
  });
  return subscription;
}

beforeAll(async () => {
  bus = createTestBus('zone-kinds-int');
  // A fresh broker has none of Meridian's topics until a service starts: these tests publish first.
  await bus.ensureTopics([...topicDefinitions, ...dlqDefinitions]);
  const pair = await generateKeyPair('ES256', { extractable: true });
  signingKey = { kid: `zone-kinds-${run}`, privateKey: pair.privateKey };
  const jwk = { ...(await exportJWK(pair.publicKey)), kid: signingKey.kid, alg: 'ES256', use: 'sig' };
  const hourAgo = new Date(Date.now() - 3_600_000).toISOString();
  const key = { issuer: ISSUER, jwk, createdAt: hourAgo, activatesAt: hourAgo, retiredAt: null, expiresAt: null };
  await bus.send(Topics.identityKeys, [wire(SigningKeyV1, key, signingKey.kid)]);
  for (const p of [OPERATOR, VIEWER]) {
    const data = { principal: p, name: p.subject, active: true, version: 1, changedAt: new Date().toISOString() };
    await bus.send(Topics.identityPrincipals, [wire(PrincipalSnapshotV1, data, principalKey(p.tenantId, p.subject))]);
  }
  geoQuery = await standInForGeoQuery();

  const config = loadConfig(baseConfigSchema, {
    KAFKA_BROKERS: testBrokers().join(','),
    DATABASE_URL: testDatabaseUrl(),
    REDIS_URL: process.env['TEST_REDIS_URL'] ?? 'redis://127.0.0.1:6379',
    LOG_LEVEL: 'silent',
    INSTANCE_ID: `zone-kinds-int-${run}`,
  });
  const settings: GatewaySettings = {
    commandTimeoutMs: 1500,
    queryTimeoutMs: 5000,
    maxFixesPerRequest: 100,
    maxFixAgeMs: 86_400_000,
    maxFixFutureSkewMs: 300_000,
    ingestRateFixesPerSecond: 1000,
    ingestBurstFixes: 1000,
    instanceId: config.INSTANCE_ID,
    publicUrl: PUBLIC_URL,
    auth: { issuer: ISSUER, audience: API_AUDIENCE, clockToleranceSeconds: 5 },
    requestRate: { ratePerSecond: 10_000, burst: 10_000 },
    requestRateOverrides: {},
    secretsKey: randomBytes(32),
  };

  @Module({
    imports: [
      CoreModule.forRoot({ service: 'gateway', config, logger: pino({ level: 'silent' }) }),
      GatewayDataAccessModule.forRoot(settings),
      GatewayZonesModule,
    ],
  })
  class TestGateway {}

  app = await NestFactory.create<NestFastifyApplication>(TestGateway, new FastifyAdapter(), { logger: false });
  // The authentication hook as apps/gateway/src/http.ts installs it.
  const auth = app.get(Authentication);
  app
    .getHttpAdapter()
    .getInstance()
    .addHook('onRequest', async (request, reply) => {
      try {
        await auth.authenticate(request, reply);
      } catch (err) {
        sendProblem(reply, request, toProblem(err));
        return reply;
      }
      return undefined;
    });
  await app.init();
  await app.listen(0, '127.0.0.1');
  base = (await app.getUrl()).replace('[::1]', '127.0.0.1');
  // Ready once the directories loaded the keys and principals and the stand-in answers.
  const deadline = Date.now() + 60_000;
  while ((await call(VIEWER, 'GET', '/v1/zones')).status !== 200) {
    if (Date.now() > deadline) throw new Error('the gateway or the geo-query stand-in was not ready within 60 s');
    await new Promise((r) => setTimeout(r, 200));
  }
}, 120_000);

afterAll(async () => {
  await app?.close();
  await geoQuery?.stop();
  await bus?.close();
});

describe('zone kinds', () => {
  it('refuses to create a zone of kind mission_area: 400 ZONE.KIND_RESERVED, it belongs to a mission', async () => {
    const answer = await call(OPERATOR, 'POST', '/v1/zones', { name: 'Depot', geometry: AREA, kind: 'mission_area' });
    expectProblem(answer, 400, 'ZONE.KIND_RESERVED');
    expect(answer.body['detail']).toMatch(/POST \/v1\/missions/);
    expect(answer.headers.get('location')).toBeNull();
  });

  it('passes the kind filter of GET /v1/zones to geo-query and keeps it in the links', async () => {
    const from = queries.length;
    const answer = await call(VIEWER, 'GET', '/v1/zones?kind=mission_area&limit=5');
    expect(answer.status).toBe(200);
    expect(queries.slice(from).map((q) => [q.type, q.data])).toEqual([
      [ListZonesV1.type, { kind: 'mission_area', limit: 5 }],
    ]);
    const next = new URL(nextHref(answer));
    expect(next.searchParams.get('kind')).toBe('mission_area');
    // The cursor is bound to the kind: another kind's page is refused, not silently served.
    const cursor = next.searchParams.get('cursor') ?? '';
    expectProblem(await call(VIEWER, 'GET', `/v1/zones?kind=geofence&cursor=${cursor}`), 400, 'QUERY.CURSOR_INVALID');
    const second = await call(VIEWER, 'GET', next.href.replace(PUBLIC_URL, ''));
    expect(second.status).toBe(200);
    expect(queries.at(-1)?.data).toMatchObject({ kind: 'mission_area', limit: 5 });
    const unfiltered = queries.length;
    expect((await call(VIEWER, 'GET', '/v1/zones?limit=5')).status).toBe(200);
    expect(queries.slice(unfiltered).map((q) => q.data)).toEqual([{ limit: 5 }]);
  });

  it('refuses an unknown kind with 400 REQUEST.INVALID, asking nothing', async () => {
    const from = queries.length;
    expectProblem(await call(VIEWER, 'GET', '/v1/zones?kind=volcano'), 400, 'REQUEST.INVALID');
    expectProblem(await call(VIEWER, 'GET', '/v1/zones?kind=mission_area&kind=geofence'), 400, 'REQUEST.INVALID');
    expect(queries.slice(from)).toEqual([]);
  });
});
