import 'reflect-metadata';
import { randomBytes, randomUUID } from 'node:crypto';
import { Controller, Get, Module } from '@nestjs/common';
import { NestFactory } from '@nestjs/core';
import { FastifyAdapter, type NestFastifyApplication } from '@nestjs/platform-fastify';
import { afterAll, beforeAll, describe, expect, it } from '@jest/globals';
import { decodeJwt, exportJWK, generateKeyPair, SignJWT } from 'jose';
import pino from 'pino';
import {
  dlqDefinitions,
  type MessageContract,
  topicDefinitions,
  Topics,
  toWire,
  type WireMessage,
} from '@meridian/contracts/core';
import {
  API_AUDIENCE,
  type Principal,
  principalKey,
  PrincipalSnapshotV1,
  SigningKeyV1,
} from '@meridian/contracts/identity';
import { Actor, RequirePermission } from '@meridian/gateway/util-auth';
import { Tenant } from '@meridian/gateway/util-http';
import type { MessageBus } from '@meridian/shared/messaging';
import { loadConfig } from '@meridian/shared/service-kit';
import {
  createTestBus,
  ensureKeycloak,
  type KeycloakClient,
  testBrokers,
  testDatabaseUrl,
} from '@meridian/shared/testing';
import { federatedUserId } from '@meridian/shared/util';
import { GatewayModule } from './app.module';
import { gatewayConfigSchema } from './config';
import { configureRequests } from './http';

/**
 * Access tokens issued by an organisation's own IdP (the real Keycloak of infra/scripts/keycloak.sh,
 * realm meridian-ext), accepted by the real gateway (GatewayModule, http.ts's hooks) when its issuer
 * is configured in GATEWAY_EXTERNAL_ISSUERS, for the federated users whose principal snapshot this
 * file publishes as identity would after their first federated login. Booted as
 * authentication.int.spec.ts boots it, three times: with the issuer configured, without it, and
 * with the wrong audience configured for it.
 */

const run = randomBytes(4).toString('hex');
const TENANT = `extiss-${run}`;
const MERIDIAN_ISSUER = `http://meridian-${run}.test`;
const REDIS_URL = process.env['TEST_REDIS_URL'] ?? 'redis://127.0.0.1:6379';

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

const principal = (subject: string, roles: Principal['roles']): Principal => ({
  tenantId: TENANT,
  subject,
  kind: 'user',
  roles,
  platformAdmin: false,
  region: null,
  clearance: 0,
  teams: null,
  hours: null,
});

async function publishPrincipal(bus: MessageBus, p: Principal): Promise<void> {
  const key = principalKey(p.tenantId, p.subject);
  const data = { principal: p, name: p.subject, active: true, version: 1, changedAt: new Date().toISOString() };
  await bus.send(Topics.identityPrincipals, [envelope(PrincipalSnapshotV1, data, key)]);
}

/** An access token of the realm's user, by the password grant its client `meridian` allows (aud: meridian). */
async function keycloakToken(kc: KeycloakClient, username: string): Promise<string> {
  const res = await fetch(`${kc.issuer}/protocol/openid-connect/token`, {
    method: 'POST',
    headers: { 'content-type': 'application/x-www-form-urlencoded' },
    body: new URLSearchParams({
      grant_type: 'password',
      client_id: kc.clientId,
      client_secret: kc.clientSecret,
      username,
      password: `${username}-pass`,
      scope: 'openid',
    }),
    signal: AbortSignal.timeout(30_000),
  });
  const body = (await res.json()) as { access_token?: string };
  if (!body.access_token) throw new Error(`no access token for ${username}: ${JSON.stringify(body)}`);
  return body.access_token;
}

interface Answer {
  readonly status: number;
  readonly headers: Headers;
  readonly body: Record<string, unknown>;
}

async function call(base: string, path: string, token: string): Promise<Answer> {
  const res = await fetch(`${base}${path}`, {
    headers: { authorization: `Bearer ${token}` },
    signal: AbortSignal.timeout(15_000),
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

const expectProblem = (answer: Answer, status: number, code: string): void => {
  expect({ status: answer.status, code: answer.body['code'] }).toEqual({ status, code });
  expect(answer.headers.get('content-type')).toMatch(/^application\/problem\+json/);
  expect(answer.headers.get('www-authenticate')).toMatch(/^Bearer realm="meridian", error="invalid_token"/);
};

/** What the controller sees of the principal. */
@Controller('v1/extiss-probe')
class ExternalProbeController {
  @Get()
  @RequirePermission('assets:read')
  probe(@Actor() actor: Principal, @Tenant() tenantId: string): Record<string, unknown> {
    return { actor, tenantId };
  }
}

interface Gateway {
  readonly app: NestFastifyApplication;
  readonly base: string;
}

/** The gateway with `externalIssuers` as GATEWAY_EXTERNAL_ISSUERS, listening, its directories loaded. */
async function bootGateway(name: string, externalIssuers: unknown[], probeToken: string): Promise<Gateway> {
  const config = loadConfig(gatewayConfigSchema, {
    KAFKA_BROKERS: testBrokers().join(','),
    DATABASE_URL: testDatabaseUrl(),
    REDIS_URL,
    LOG_LEVEL: 'silent',
    INSTANCE_ID: `extiss-${name}-${run}`,
    OIDC_ISSUER: MERIDIAN_ISSUER,
    GATEWAY_QUERY_TIMEOUT_MS: '1000',
    GATEWAY_EXTERNAL_ISSUERS: JSON.stringify(externalIssuers),
  });

  @Module({
    imports: [GatewayModule.forRoot(config, pino({ level: 'silent' }))],
    controllers: [ExternalProbeController],
  })
  class TestGateway {}

  const app = await NestFactory.create<NestFastifyApplication>(TestGateway, new FastifyAdapter(), { logger: false });
  configureRequests(app, config);
  await app.init();
  await app.listen(0, '127.0.0.1');
  const base = (await app.getUrl()).replace('[::1]', '127.0.0.1');
  // 503 until both directories caught up with what was published before the start.
  const deadline = Date.now() + 60_000;
  while ((await call(base, '/v1/extiss-probe', probeToken)).status === 503) {
    if (Date.now() > deadline) throw new Error(`gateway ${name} did not load its directories within 60 s`);
    await new Promise((r) => setTimeout(r, 200));
  }
  return { app, base };
}

let kc: KeycloakClient;
let bus: MessageBus;
let aliceToken: string;
let carolToken: string;
let meridianToken: string;
let aliceId: string;
let configured: Gateway;
let unconfigured: Gateway;
let wrongAudience: Gateway;

beforeAll(async () => {
  kc = await ensureKeycloak();
  bus = createTestBus('extiss-int');
  // A fresh broker has none of Meridian's topics until a service starts: these tests publish first.
  await bus.ensureTopics([...topicDefinitions, ...dlqDefinitions]);
  [aliceToken, carolToken] = await Promise.all([keycloakToken(kc, 'alice'), keycloakToken(kc, 'carol')]);
  // As identity's federated login records it: the user of (tenant, Keycloak issuer, alice's sub).
  aliceId = federatedUserId(TENANT, kc.issuer, String(decodeJwt(aliceToken).sub));
  await publishPrincipal(bus, principal(aliceId, ['dispatcher']));

  // A Meridian token too, to show the Meridian path unchanged beside the external one.
  const kid = `extiss-${run}`;
  const { privateKey, publicKey } = await generateKeyPair('ES256', { extractable: true });
  const now = Date.now();
  const key = {
    issuer: MERIDIAN_ISSUER,
    jwk: { ...(await exportJWK(publicKey)), kid, alg: 'ES256', use: 'sig' },
    createdAt: new Date(now - 60_000).toISOString(),
    activatesAt: new Date(now - 60_000).toISOString(),
    retiredAt: null,
    expiresAt: null,
  };
  await bus.send(Topics.identityKeys, [envelope(SigningKeyV1, key, kid)]);
  await publishPrincipal(bus, principal('operator', ['operator']));
  meridianToken = await new SignJWT({ tenant: TENANT, client_id: 'console', scope: 'openid api' })
    .setProtectedHeader({ alg: 'ES256', typ: 'at+jwt', kid })
    .setIssuer(MERIDIAN_ISSUER)
    .setSubject('operator')
    .setAudience(API_AUDIENCE)
    .setIssuedAt()
    .setExpirationTime('5m')
    .setJti(randomUUID())
    .sign(privateKey);

  const keycloak = (audience: string) => [{ issuer: kc.issuer, audience, tenant: TENANT }];
  [configured, unconfigured, wrongAudience] = await Promise.all([
    bootGateway('configured', keycloak('meridian'), meridianToken),
    bootGateway('unconfigured', [], meridianToken),
    bootGateway('wrong-audience', keycloak('urn:not-meridian'), meridianToken),
  ]);
});

afterAll(async () => {
  await Promise.all([configured, unconfigured, wrongAudience].map((g) => g?.app.close()));
  await bus?.close();
});

describe('gateway authentication: access tokens of a configured external issuer (Keycloak)', () => {
  it('serves alice’s Keycloak token as her federated Meridian user, with the roles of her snapshot', async () => {
    const answer = await call(configured.base, '/v1/extiss-probe', aliceToken);
    expect(answer.status).toBe(200);
    expect(answer.body).toEqual({ actor: principal(aliceId, ['dispatcher']), tenantId: TENANT });
    // Her roles are the snapshot's (dispatcher), not the IdP's groups: an admin route stays closed.
    const admin = await call(configured.base, '/internal/timings', aliceToken);
    expect({ status: admin.status, code: admin.body['code'] }).toEqual({ status: 403, code: 'AUTH.FORBIDDEN_ROLE' });
  });

  it('still serves Meridian’s own tokens beside it', async () => {
    const answer = await call(configured.base, '/v1/extiss-probe', meridianToken);
    expect(answer).toMatchObject({ status: 200, body: { actor: principal('operator', ['operator']) } });
  });

  it('refuses the same token when its issuer is not configured', async () => {
    expectProblem(await call(unconfigured.base, '/v1/extiss-probe', aliceToken), 401, 'AUTH.TOKEN_INVALID');
    // That gateway is up: Meridian's token passes.
    expect((await call(unconfigured.base, '/v1/extiss-probe', meridianToken)).status).toBe(200);
  });

  it('refuses a Keycloak user who never logged in through federation (no snapshot)', async () => {
    expectProblem(await call(configured.base, '/v1/extiss-probe', carolToken), 401, 'AUTH.PRINCIPAL_UNKNOWN');
  });

  it('refuses a token signed by Keycloak when another audience is configured', async () => {
    const answer = await call(wrongAudience.base, '/v1/extiss-probe', aliceToken);
    expectProblem(answer, 401, 'AUTH.TOKEN_INVALID');
    expect(String(answer.body['detail'])).toMatch(/aud/);
  });

  it('refuses a tampered token: a changed signature, or alice’s claims under carol’s signature', async () => {
    const [header, payload, signature] = aliceToken.split('.');
    const middle = Math.floor(signature.length / 2);
    const flipped = signature[middle] === 'A' ? 'B' : 'A';
    const changed = `${header}.${payload}.${signature.slice(0, middle)}${flipped}${signature.slice(middle + 1)}`;
    expectProblem(await call(configured.base, '/v1/extiss-probe', changed), 401, 'AUTH.TOKEN_INVALID');
    const swapped = `${header}.${payload}.${carolToken.split('.')[2]}`;
    expectProblem(await call(configured.base, '/v1/extiss-probe', swapped), 401, 'AUTH.TOKEN_INVALID');
    // The untouched token still passes: the refusals were the tampering's.
    expect((await call(configured.base, '/v1/extiss-probe', aliceToken)).status).toBe(200);
  });
});
