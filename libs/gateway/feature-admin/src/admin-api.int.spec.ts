import 'reflect-metadata';
import { randomBytes, randomUUID } from 'node:crypto';
import { Module } from '@nestjs/common';
import { NestFactory } from '@nestjs/core';
import { FastifyAdapter, type NestFastifyApplication } from '@nestjs/platform-fastify';
import { afterAll, beforeAll, describe, expect, it } from '@jest/globals';
import { type CryptoKey, exportJWK, generateKeyPair, SignJWT } from 'jose';
import Redis from 'ioredis';
import pino from 'pino';
import {
  commandRejection,
  commandReply,
  dlqDefinitions,
  type Envelope,
  type MessageContract,
  topicDefinitions,
  Topics,
  toWire,
} from '@meridian/contracts/core';
import {
  API_AUDIENCE,
  CreateServiceAccountV1,
  CreateUserV1,
  DisableServiceAccountV1,
  DisableUserV1,
  type Principal,
  principalKey,
  PrincipalSnapshotV1,
  type Region,
  RegisterTenantV1,
  RotateSigningKeyV1,
  SetServiceAccountMembershipV1,
  SetUserMembershipV1,
  SigningKeyV1,
} from '@meridian/contracts/identity';
import { GatewayDataAccessModule, type GatewaySettings } from '@meridian/gateway/data-access';
import { Authentication } from '@meridian/gateway/util-auth';
import { sendProblem, toProblem } from '@meridian/gateway/util-http';
import { type MessageBus, type ReplyBody, serveRequests, type Subscription } from '@meridian/shared/messaging';
import { baseConfigSchema, CoreModule, loadConfig } from '@meridian/shared/service-kit';
import {
  consumeAll,
  createTestBus,
  createTopics,
  deleteTopics,
  testBrokers,
  testDatabaseUrl,
  uniqueTopic,
} from '@meridian/shared/testing';
import { isSealedSecret, openSecret, silentLog } from '@meridian/shared/util';
import { GatewayAdminModule } from './gateway-admin.module';

/*
 * The admin API through HTTP against a gateway booted as apps/gateway boots it (CoreModule, the
 * gateway's data access with its KeyDirectory and PrincipalDirectory reading the identity topics of
 * the test broker, the authentication hook of apps/gateway/src/http.ts), with identity's commands
 * sent to a topic of this file where a stand-in answers them as identity would: this tests what
 * the gateway puts on Kafka and how it answers, not identity (test/e2e/identity.e2e.spec.ts does).
 */

const run = randomBytes(4).toString('hex');
const ISSUER = `http://issuer-admin-${run}.test`;
const TENANT = `adm-${run}`;
const OTHER = `oth-${run}`;
const SECRETS_KEY = randomBytes(32);
const COMMANDS = uniqueTopic('identity-commands');
const REDIS_URL = process.env['TEST_REDIS_URL'] ?? 'redis://127.0.0.1:6379';
const COMMAND_TIMEOUT_MS = 1500;

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

const ADMIN = principal(TENANT, `admin-${run}`, { roles: ['admin'], clearance: 4 });
const VIEWER = principal(TENANT, `viewer-${run}`);
const PLATFORM = principal('platform', `platform-admin-${run}`, {
  kind: 'service-account',
  roles: [],
  platformAdmin: true,
});
/** Users to list: ids in order, the second one disabled; and a user of another tenant. */
const USERS = Array.from({ length: 3 }, (_, i) => `0190f0f0-0000-7000-8000-${run}000${i}`.slice(0, 36));
const FOREIGN_USER = randomUUID();
const ACCOUNTS = [`svc-a-${run}`, `svc-b-${run}`];

let bus: MessageBus;
let app: NestFastifyApplication;
let base: string;
let redis: Redis;
let standIn: Subscription;
let signingKey: { kid: string; privateKey: CryptoKey };
const logLines: string[] = [];
/** Every command the stand-in received, in order. */
const received: Envelope[] = [];
/** Secrets the tests sent or were shown: none may appear in clear on Kafka or in the logs. */
const secrets: string[] = [];
/** How the stand-in answers a command type instead of accepting it. */
const scripted = new Map<string, (request: Envelope) => Promise<ReplyBody>>();

const accepted = (request: Envelope, version = 1): ReplyBody =>
  commandReply({ outcome: 'accepted', streamId: `stream-${request.id}`, version });

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

async function publishPrincipal(p: Principal, name: string, active = true): Promise<void> {
  const data = { principal: p, name, active, version: 1, changedAt: new Date().toISOString() };
  await bus.send(Topics.identityPrincipals, [wire(PrincipalSnapshotV1, data, principalKey(p.tenantId, p.subject))]);
}

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

async function call(
  as: Principal,
  method: string,
  path: string,
  body?: unknown,
  headers: Record<string, string> = {},
): Promise<Answer> {
  const res = await fetch(`${base}${path}`, {
    method,
    headers: {
      authorization: await bearer(as),
      ...(body === undefined ? {} : { 'content-type': 'application/json' }),
      ...headers,
    },
    ...(body === undefined ? {} : { body: typeof body === 'string' ? body : JSON.stringify(body) }),
  });
  const text = await res.text();
  return { status: res.status, headers: res.headers, body: text ? (JSON.parse(text) as Record<string, unknown>) : {} };
}

const expectProblem = (answer: Answer, status: number, code: string): void => {
  expect({ status: answer.status, code: answer.body['code'] }).toEqual({ status, code });
  expect(answer.headers.get('content-type')).toMatch(/^application\/problem\+json/);
};

/** The commands received since `from` (an index into `received`). */
const since = (from: number): Envelope[] => received.slice(from);

/** A clockwise square (RFC 7946 wants shells counter-clockwise): the gateway rewinds it. */
const CLOCKWISE = {
  type: 'Polygon',
  coordinates: [
    [
      [8, 47],
      [8, 48],
      [9, 48],
      [9, 47],
      [8, 47],
    ],
  ],
};
const COUNTER_CLOCKWISE: Region = {
  type: 'Polygon',
  coordinates: [
    [
      [8, 47],
      [9, 47],
      [9, 48],
      [8, 48],
      [8, 47],
    ],
  ],
};

beforeAll(async () => {
  bus = createTestBus('admin-int');
  // A fresh broker has none of Meridian's topics until a service starts: these tests publish first.
  await bus.ensureTopics([...topicDefinitions, ...dlqDefinitions]);
  redis = new Redis(REDIS_URL);
  await createTopics(bus, [COMMANDS]);
  const pair = await generateKeyPair('ES256', { extractable: true });
  signingKey = { kid: `admin-${run}`, privateKey: pair.privateKey };
  const jwk = { ...(await exportJWK(pair.publicKey)), kid: signingKey.kid, alg: 'ES256', use: 'sig' };
  const hourAgo = new Date(Date.now() - 3_600_000).toISOString();
  const key = { issuer: ISSUER, jwk, createdAt: hourAgo, activatesAt: hourAgo, retiredAt: null, expiresAt: null };
  await bus.send(Topics.identityKeys, [wire(SigningKeyV1, key, signingKey.kid)]);
  for (const p of [ADMIN, VIEWER]) await publishPrincipal(p, p.subject);
  await publishPrincipal(PLATFORM, 'Platform administrator');
  for (const [i, id] of USERS.entries()) {
    await publishPrincipal(principal(TENANT, id, { roles: ['operator'], teams: ['red'] }), `User ${i}`, i !== 1);
  }
  await publishPrincipal(principal(OTHER, FOREIGN_USER, { roles: ['admin'] }), 'Someone else');
  for (const id of ACCOUNTS) {
    await publishPrincipal(principal(TENANT, id, { kind: 'service-account', region: COUNTER_CLOCKWISE }), id);
  }
  await publishPrincipal(principal(OTHER, `svc-x-${run}`, { kind: 'service-account' }), 'Foreign account');

  // The stand-in for identity: records each command, then accepts it unless a test scripted otherwise.
  const route = async (request: Envelope): Promise<ReplyBody> => {
    received.push(request);
    return (await scripted.get(request.type)?.(request)) ?? accepted(request);
  };
  const contracts = [
    RegisterTenantV1,
    CreateUserV1,
    SetUserMembershipV1,
    DisableUserV1,
    CreateServiceAccountV1,
    SetServiceAccountMembershipV1,
    DisableServiceAccountV1,
    RotateSigningKeyV1,
  ];
  standIn = await serveRequests(bus, {
    service: 'identity-stand-in',
    topic: COMMANDS,
    groupId: `identity-stand-in-${run}`,
    routes: Object.fromEntries(contracts.map((c) => [c.type, route])),
    rejection: commandRejection,
    log: silentLog,
  });

  const config = loadConfig(baseConfigSchema, {
    KAFKA_BROKERS: testBrokers().join(','),
    DATABASE_URL: testDatabaseUrl(),
    REDIS_URL,
    LOG_LEVEL: 'debug',
    INSTANCE_ID: `admin-int-${run}`,
    SECRETS_KEY: SECRETS_KEY.toString('base64'),
  });
  // Everything the gateway logs, at debug: no secret may be in it.
  const logger = pino({ level: 'debug' }, { write: (line: string) => void logLines.push(line) });
  const settings: GatewaySettings = {
    commandTimeoutMs: COMMAND_TIMEOUT_MS,
    queryTimeoutMs: 1000,
    maxFixesPerRequest: 100,
    maxFixAgeMs: 86_400_000,
    maxFixFutureSkewMs: 300_000,
    ingestRateFixesPerSecond: 1000,
    ingestBurstFixes: 1000,
    instanceId: config.INSTANCE_ID,
    publicUrl: 'http://gateway.test',
    auth: { issuer: ISSUER, audience: API_AUDIENCE, clockToleranceSeconds: 5 },
    requestRate: { ratePerSecond: 10_000, burst: 10_000 },
    requestRateOverrides: {},
    secretsKey: SECRETS_KEY,
  };

  @Module({
    imports: [
      CoreModule.forRoot({ service: 'gateway', config, logger }),
      GatewayDataAccessModule.forRoot(settings),
      GatewayAdminModule.withCommandTopic(COMMANDS),
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
  // Ready once both directories caught up with what was published above.
  const deadline = Date.now() + 60_000;
  for (let s = 0; s !== 200; s = (await call(ADMIN, 'GET', `/v1/users/${USERS[2]}`)).status) {
    if (Date.now() > deadline) throw new Error('the gateway did not load the keys and principals within 60 s');
    await new Promise((r) => setTimeout(r, 200));
  }
}, 120_000);

afterAll(async () => {
  await app?.close();
  await standIn?.stop();
  await deleteTopics(bus, [COMMANDS]);
  await bus?.close();
  redis?.disconnect();
});

describe('service accounts: the secret is made by the gateway, sealed on Kafka, shown once', () => {
  it('answers 201 with the secret and the token endpoint; the command carries it sealed', async () => {
    const from = received.length;
    const clientId = `bot-${run}`;
    const body = { clientId, name: 'Ingest bot', roles: ['operator'], attributes: { region: CLOCKWISE, clearance: 2 } };
    const answer = await call(ADMIN, 'POST', '/v1/service-accounts', body);
    expect(answer.status).toBe(201);
    expect(answer.headers.get('location')).toBe(`/v1/service-accounts/${clientId}`);
    expect(answer.headers.get('cache-control')).toBe('no-store');
    const secret = String(answer.body['clientSecret']);
    secrets.push(secret);
    expect(answer.body).toEqual({ clientId, clientSecret: secret, tokenEndpoint: `${ISSUER}/token`, version: 1 });
    expect(Buffer.from(secret, 'base64url')).toHaveLength(32);

    const [command] = since(from);
    expect(command).toMatchObject({ type: CreateServiceAccountV1.type, tenantId: TENANT });
    expect(JSON.parse(command.principal ?? 'null')).toEqual(ADMIN);
    const data = command.data as { secret: string; attributes: { region: unknown; clearance: number } };
    expect(isSealedSecret(data.secret)).toBe(true);
    expect(openSecret(SECRETS_KEY, data.secret)).toBe(secret);
    expect(data.attributes).toEqual({ region: COUNTER_CLOCKWISE, clearance: 2, teams: null, hours: null });
  });

  it('makes a new secret for each account', async () => {
    const shown = await Promise.all(
      ['c', 'd'].map((s) =>
        call(ADMIN, 'POST', '/v1/service-accounts', { clientId: `bot-${s}-${run}`, name: s, roles: [] }),
      ),
    );
    const [c, d] = shown.map((a) => String(a.body['clientSecret']));
    secrets.push(c, d);
    expect(shown.map((a) => a.status)).toEqual([201, 201]);
    expect(c).not.toBe(d);
  });

  it('with an Idempotency-Key: a retry gets the same secret, one command is sent, Redis keeps no secret', async () => {
    const from = received.length;
    const key = `sa-${run}`;
    const body = { clientId: `bot-idem-${run}`, name: 'Idempotent', roles: ['viewer'] };
    const first = await call(ADMIN, 'POST', '/v1/service-accounts', body, { 'idempotency-key': key });
    const again = await call(ADMIN, 'POST', '/v1/service-accounts', body, { 'idempotency-key': key });
    secrets.push(String(first.body['clientSecret']));
    expect([first.status, again.status]).toEqual([201, 201]);
    expect(again.body).toEqual(first.body);
    expect(since(from)).toHaveLength(1);
    const stored = await redis.get(`meridian:gateway:idem:${TENANT}:${key}`);
    expect(stored).toContain(body.clientId);
    expect(stored).not.toContain(String(first.body['clientSecret']));
    // Another body under the same key is refused, and sends nothing.
    const reused = await call(
      ADMIN,
      'POST',
      '/v1/service-accounts',
      { ...body, name: 'Other' },
      { 'idempotency-key': key },
    );
    expectProblem(reused, 422, 'IDEMPOTENCY.KEY_REUSED');
    expect(since(from)).toHaveLength(1);
  });

  it("answers identity's refusal with its code (409 SERVICE_ACCOUNT.ALREADY_EXISTS), as problem+json", async () => {
    scripted.set(CreateServiceAccountV1.type, async () =>
      commandRejection('SERVICE_ACCOUNT.ALREADY_EXISTS', 'a service account with this client id exists'),
    );
    try {
      const answer = await call(ADMIN, 'POST', '/v1/service-accounts', { clientId: ACCOUNTS[0], name: 'x', roles: [] });
      expectProblem(answer, 409, 'SERVICE_ACCOUNT.ALREADY_EXISTS');
      expect(answer.body['clientSecret']).toBeUndefined();
    } finally {
      scripted.delete(CreateServiceAccountV1.type);
    }
  });

  it('answers 202 with the secret when identity does not answer in time (the account may still be made)', async () => {
    scripted.set(CreateServiceAccountV1.type, async (request) => {
      await new Promise((r) => setTimeout(r, COMMAND_TIMEOUT_MS + 500));
      return accepted(request);
    });
    try {
      const clientId = `bot-slow-${run}`;
      const answer = await call(ADMIN, 'POST', '/v1/service-accounts', { clientId, name: 'Slow', roles: [] });
      secrets.push(String(answer.body['clientSecret']));
      expect(answer.status).toBe(202);
      expect(answer.body).toMatchObject({ clientId, status: 'pending', tokenEndpoint: `${ISSUER}/token` });
      expect(String(answer.body['correlationId'])).not.toBe('');
      const command = received.find((r) => (r.data as { clientId?: string }).clientId === clientId);
      expect(openSecret(SECRETS_KEY, (command?.data as { secret: string }).secret)).toBe(answer.body['clientSecret']);
    } finally {
      scripted.delete(CreateServiceAccountV1.type);
    }
  });

  it('replaces memberships and disables: PUT 200 {clientId, version}, DELETE 204', async () => {
    const from = received.length;
    const put = await call(ADMIN, 'PUT', `/v1/service-accounts/${ACCOUNTS[0]}/membership`, { roles: ['viewer'] });
    expect(put.status).toBe(200);
    expect(put.body).toEqual({ clientId: ACCOUNTS[0], version: 1 });
    const del = await call(ADMIN, 'DELETE', `/v1/service-accounts/${ACCOUNTS[1]}`);
    expect([del.status, del.body]).toEqual([204, {}]);
    expect(since(from).map((c) => [c.type, c.tenantId, c.data])).toEqual([
      [
        SetServiceAccountMembershipV1.type,
        TENANT,
        {
          clientId: ACCOUNTS[0],
          roles: ['viewer'],
          attributes: { region: null, clearance: 0, teams: null, hours: null },
        },
      ],
      [DisableServiceAccountV1.type, TENANT, { clientId: ACCOUNTS[1] }],
    ]);
  });
});

describe('users: passwords are sealed before they go on Kafka', () => {
  it('answers 201 {id, version} with Location; the command carries the password sealed', async () => {
    const from = received.length;
    const password = `pw-${randomUUID()}`;
    secrets.push(password);
    const body = {
      username: `ada-${run}`,
      displayName: 'Ada',
      password,
      roles: ['dispatcher'],
      email: 'ada@example.org',
    };
    const answer = await call(ADMIN, 'POST', '/v1/users', body);
    expect(answer.status).toBe(201);
    const id = String(answer.body['id']);
    expect(answer.body).toEqual({ id, version: 1 });
    expect(answer.headers.get('location')).toBe(`/v1/users/${id}`);
    const [command] = since(from);
    expect(command).toMatchObject({ type: CreateUserV1.type, tenantId: TENANT });
    const data = command.data as Record<string, unknown>;
    expect(openSecret(SECRETS_KEY, String(data['password']))).toBe(password);
    expect({ ...data, password: 'sealed' }).toEqual({
      userId: id,
      username: body.username,
      displayName: 'Ada',
      email: 'ada@example.org',
      password: 'sealed',
      roles: ['dispatcher'],
      attributes: { region: null, clearance: 0, teams: null, hours: null },
    });
  });

  it('creates a user without a password (federated logins only)', async () => {
    const from = received.length;
    const answer = await call(ADMIN, 'POST', '/v1/users', { username: `fed-${run}`, displayName: 'Fed', roles: [] });
    expect(answer.status).toBe(201);
    expect(Object.keys(since(from)[0].data as object)).not.toContain('password');
  });

  it('with an Idempotency-Key: the same id for a retry, one command; another password is another request', async () => {
    const from = received.length;
    const password = `pw-${randomUUID()}`;
    secrets.push(password);
    const body = { username: `idem-${run}`, displayName: 'Idem', roles: ['viewer'], password };
    const headers = { 'idempotency-key': `u-${run}` };
    const first = await call(ADMIN, 'POST', '/v1/users', body, headers);
    const again = await call(ADMIN, 'POST', '/v1/users', body, headers);
    expect([first.status, again.status, again.body['id']]).toEqual([201, 201, first.body['id']]);
    expect(since(from)).toHaveLength(1);
    const changed = await call(ADMIN, 'POST', '/v1/users', { ...body, password: `${password}!` }, headers);
    expectProblem(changed, 422, 'IDEMPOTENCY.KEY_REUSED');
    expect(since(from)).toHaveLength(1);
  });

  it("answers identity's refusal (409 USER.USERNAME_TAKEN) as problem+json", async () => {
    scripted.set(CreateUserV1.type, async () => commandRejection('USER.USERNAME_TAKEN', 'the username is taken'));
    try {
      const answer = await call(ADMIN, 'POST', '/v1/users', { username: 'taken', displayName: 'T', roles: [] });
      expectProblem(answer, 409, 'USER.USERNAME_TAKEN');
    } finally {
      scripted.delete(CreateUserV1.type);
    }
  });

  it('replaces a membership (a region rewound), disables: PUT 200, DELETE 204, keyed <tenant>/<id>', async () => {
    const from = received.length;
    const [id] = USERS;
    const membership = { roles: ['viewer', 'dispatcher'], attributes: { region: CLOCKWISE, teams: ['blue'] } };
    const put = await call(ADMIN, 'PUT', `/v1/users/${id}/membership`, membership);
    expect([put.status, put.body]).toEqual([200, { id, version: 1 }]);
    expect((await call(ADMIN, 'DELETE', `/v1/users/${id}`)).status).toBe(204);
    const [set, disable] = since(from);
    expect(set).toMatchObject({ type: SetUserMembershipV1.type, tenantId: TENANT });
    expect(set.data).toEqual({
      userId: id,
      roles: ['viewer', 'dispatcher'],
      attributes: { region: COUNTER_CLOCKWISE, clearance: 0, teams: ['blue'], hours: null },
    });
    expect(disable).toMatchObject({ type: DisableUserV1.type, tenantId: TENANT, data: { userId: id } });
    const keys = (await consumeAll(bus, COMMANDS, received.length)).map((m) => [m.envelope?.id, m.wire.key]);
    expect(keys).toContainEqual([set.id, principalKey(TENANT, id)]);
    expect(keys).toContainEqual([disable.id, principalKey(TENANT, id)]);
  });

  it("answers 404 USER.NOT_FOUND from identity for another tenant's user", async () => {
    scripted.set(SetUserMembershipV1.type, async () => commandRejection('USER.NOT_FOUND', 'user not found'));
    try {
      const answer = await call(ADMIN, 'PUT', `/v1/users/${FOREIGN_USER}/membership`, { roles: [] });
      expectProblem(answer, 404, 'USER.NOT_FOUND');
    } finally {
      scripted.delete(SetUserMembershipV1.type);
    }
  });
});

describe('reads: from the principal snapshots, tenant-scoped, paged', () => {
  it('lists the users of the tenant in id order, disabled ones too, a page at a time', async () => {
    type Page = { users: { id: string }[]; numberReturned: number; links: { rel: string; href: string }[] };
    const pages: Page[] = [];
    for (let path: string | null = '/v1/users?limit=2'; path !== null;) {
      const answer = await call(ADMIN, 'GET', path);
      expect(answer.status).toBe(200);
      const page = answer.body as unknown as Page;
      pages.push(page);
      const next = page.links.find((l) => l.rel === 'next')?.href;
      if (next) expect(next).toMatch(/^http:\/\/gateway\.test\/v1\/users\?/);
      path = next ? new URL(next).pathname + new URL(next).search : null;
    }
    // Five users of this tenant (those published above, the admin and viewer of the test), nobody else's.
    expect(pages.map((p) => p.numberReturned)).toEqual([2, 2, 1]);
    const all = pages.flatMap((p) => p.users);
    expect(all.map((u) => u.id)).toEqual([...USERS, ADMIN.subject, VIEWER.subject]);
    expect(all.slice(0, 3)).toEqual([
      {
        id: USERS[0],
        name: 'User 0',
        roles: ['operator'],
        attributes: { region: null, clearance: 0, teams: ['red'], hours: null },
        active: true,
        version: 1,
      },
      expect.objectContaining({ id: USERS[1], active: false }),
      expect.objectContaining({ id: USERS[2], active: true }),
    ]);
  });

  it("reads one user; another tenant's user is 404, a malformed id 400", async () => {
    const one = await call(ADMIN, 'GET', `/v1/users/${USERS[2]}`);
    expect(one.body).toMatchObject({ id: USERS[2], name: 'User 2', roles: ['operator'], active: true });
    expectProblem(await call(ADMIN, 'GET', `/v1/users/${FOREIGN_USER}`), 404, 'USER.NOT_FOUND');
    // A service account is not a user.
    expectProblem(await call(ADMIN, 'GET', `/v1/users/${ACCOUNTS[0]}`), 400, 'REQUEST.INVALID');
    expectProblem(await call(ADMIN, 'GET', '/v1/users/not-a-uuid'), 400, 'REQUEST.INVALID');
  });

  it('lists and reads service accounts, never a secret', async () => {
    const list = await call(ADMIN, 'GET', '/v1/service-accounts');
    const accounts = list.body['serviceAccounts'] as { clientId: string }[];
    expect(accounts.map((a) => a.clientId)).toEqual(ACCOUNTS);
    const one = await call(ADMIN, 'GET', `/v1/service-accounts/${ACCOUNTS[0]}`);
    expect(one.body).toEqual({
      clientId: ACCOUNTS[0],
      name: ACCOUNTS[0],
      roles: ['viewer'],
      attributes: { region: COUNTER_CLOCKWISE, clearance: 0, teams: null, hours: null },
      active: true,
      version: 1,
    });
    expectProblem(await call(ADMIN, 'GET', `/v1/service-accounts/svc-x-${run}`), 404, 'SERVICE_ACCOUNT.NOT_FOUND');
    expectProblem(await call(ADMIN, 'GET', '/v1/service-accounts/NO!'), 400, 'REQUEST.INVALID');
  });

  it('refuses a cursor of another list', async () => {
    const users = await call(ADMIN, 'GET', '/v1/users?limit=1');
    const next = new URL(
      (users.body['links'] as { rel: string; href: string }[]).find((l) => l.rel === 'next')?.href ?? '',
    );
    const cursor = next.searchParams.get('cursor') ?? '';
    expectProblem(await call(ADMIN, 'GET', `/v1/service-accounts?cursor=${cursor}`), 400, 'QUERY.CURSOR_INVALID');
  });
});

describe('validation: bad requests are 400 problem+json and send nothing', () => {
  const bowTie = {
    type: 'Polygon',
    coordinates: [
      [
        [0, 0],
        [2, 2],
        [2, 0],
        [0, 2],
        [0, 0],
      ],
    ],
  };

  it.each([
    [
      'a self-intersecting region',
      'POST',
      '/v1/users',
      { username: 'x1', displayName: 'X', roles: [], attributes: { region: bowTie } },
    ],
    ['an unknown role', 'POST', '/v1/users', { username: 'x2', displayName: 'X', roles: ['root'] }],
    ['a short password', 'POST', '/v1/users', { username: 'x3', displayName: 'X', roles: [], password: 'short' }],
    [
      'a secret given by the client',
      'POST',
      '/v1/service-accounts',
      { clientId: 'abc', name: 'n', roles: [], secret: 's' },
    ],
    ['clearance 9', 'PUT', `/v1/users/${USERS[2]}/membership`, { roles: [], attributes: { clearance: 9 } }],
    ['a bad user id', 'PUT', '/v1/users/42/membership', { roles: [] }],
    ['a bad client id', 'PUT', '/v1/service-accounts/A!/membership', { roles: [] }],
    ['a bad user id (DELETE)', 'DELETE', '/v1/users/42', undefined],
    [
      'a region of the wrong type',
      'PUT',
      `/v1/service-accounts/${ACCOUNTS[0]}/membership`,
      { roles: [], attributes: { region: { type: 'Point', coordinates: [1, 2] } } },
    ],
    ['an unknown query parameter', 'GET', '/v1/users?role=admin', undefined],
  ])('%s', async (_case, method, path, body) => {
    const from = received.length;
    expectProblem(await call(ADMIN, method, path, body), 400, 'REQUEST.INVALID');
    expect(since(from)).toEqual([]);
  });

  it('names the region and where it self-intersects', async () => {
    const answer = await call(ADMIN, 'PUT', `/v1/users/${USERS[2]}/membership`, {
      roles: [],
      attributes: { region: bowTie },
    });
    expectProblem(answer, 400, 'REQUEST.INVALID');
    expect(answer.body['errors']).toEqual([
      { path: 'attributes.region', message: 'self-intersection near 1 1 in polygon 0' },
    ]);
  });

  it('malformed JSON is 400 REQUEST.MALFORMED_JSON', async () => {
    expectProblem(await call(ADMIN, 'POST', '/v1/users', '{"username":'), 400, 'REQUEST.MALFORMED_JSON');
  });
});

describe('permissions', () => {
  it('needs identity:admin to write and identity:read to read (a viewer has neither)', async () => {
    const from = received.length;
    expectProblem(await call(VIEWER, 'GET', '/v1/users'), 403, 'AUTH.FORBIDDEN_ROLE');
    expectProblem(await call(VIEWER, 'GET', `/v1/service-accounts/${ACCOUNTS[0]}`), 403, 'AUTH.FORBIDDEN_ROLE');
    const user = { username: `v-${run}`, displayName: 'V', roles: ['admin'] };
    expectProblem(await call(VIEWER, 'POST', '/v1/users', user), 403, 'AUTH.FORBIDDEN_ROLE');
    expectProblem(await call(VIEWER, 'DELETE', `/v1/users/${USERS[2]}`), 403, 'AUTH.FORBIDDEN_ROLE');
    expect(since(from)).toEqual([]);
  });

  it('lets the platform administrator manage tenants and keys only, and nobody else do so', async () => {
    expectProblem(await call(PLATFORM, 'GET', '/v1/users'), 403, 'AUTH.FORBIDDEN_ROLE');
    const tenant = {
      tenantId: `t-${run}`,
      name: 'T',
      admin: { username: 'a', displayName: 'A', password: 'pw-12345678' },
    };
    expectProblem(await call(ADMIN, 'POST', '/v1/tenants', tenant), 403, 'AUTH.FORBIDDEN_ROLE');
    expectProblem(
      await call(ADMIN, 'POST', '/v1/admin/signing-keys/rotate', { reason: 'x' }),
      403,
      'AUTH.FORBIDDEN_ROLE',
    );
  });
});

describe('tenants: registered, then their first administrator created in them', () => {
  it('sends RegisterTenant, then CreateUser in the new tenant with role admin; answers 201', async () => {
    const from = received.length;
    const tenantId = `new-${run}`;
    const password = `first-${randomUUID()}`;
    secrets.push(password);
    const body = { tenantId, name: 'New org', admin: { username: 'first', displayName: 'First', password } };
    const answer = await call(PLATFORM, 'POST', '/v1/tenants', body);
    expect(answer.status).toBe(201);
    const adminUserId = String(answer.body['adminUserId']);
    expect(answer.body).toEqual({ tenantId, adminUserId, version: 1 });
    expect(answer.headers.get('location')).toBe(`/v1/users/${adminUserId}`);
    const [register, create] = since(from);
    expect(register).toMatchObject({ type: RegisterTenantV1.type, tenantId, data: { tenantId, name: 'New org' } });
    expect(create).toMatchObject({ type: CreateUserV1.type, tenantId });
    for (const command of [register, create]) expect(JSON.parse(command.principal ?? 'null')).toEqual(PLATFORM);
    const data = create.data as Record<string, unknown>;
    expect(openSecret(SECRETS_KEY, String(data['password']))).toBe(password);
    expect({ ...data, password: 'sealed' }).toEqual({
      userId: adminUserId,
      username: 'first',
      displayName: 'First',
      password: 'sealed',
      roles: ['admin'],
      attributes: { region: null, clearance: 4, teams: null, hours: null },
    });
  });

  it('answers 409 TENANT.ALREADY_REGISTERED and creates no administrator', async () => {
    scripted.set(RegisterTenantV1.type, async () => commandRejection('TENANT.ALREADY_REGISTERED', 'tenant exists'));
    try {
      const from = received.length;
      const body = {
        tenantId: TENANT,
        name: 'Again',
        admin: { username: 'bee', displayName: 'B', password: 'pw-12345678' },
      };
      expectProblem(await call(PLATFORM, 'POST', '/v1/tenants', body), 409, 'TENANT.ALREADY_REGISTERED');
      expect(since(from).map((c) => c.type)).toEqual([RegisterTenantV1.type]);
    } finally {
      scripted.delete(RegisterTenantV1.type);
    }
  });

  it('with an Idempotency-Key, a retry after a failed second step finishes it with the same ids', async () => {
    const from = received.length;
    const tenantId = `retry-${run}`;
    const body = { tenantId, name: 'Retry', admin: { username: 'rita', displayName: 'R', password: 'pw-12345678' } };
    const headers = { 'idempotency-key': `t-${run}` };
    scripted.set(CreateUserV1.type, async () => commandRejection('TENANT.UNKNOWN', 'not yet'));
    try {
      expectProblem(await call(PLATFORM, 'POST', '/v1/tenants', body, headers), 404, 'TENANT.UNKNOWN');
    } finally {
      scripted.delete(CreateUserV1.type);
    }
    const retried = await call(PLATFORM, 'POST', '/v1/tenants', body, headers);
    expect(retried.status).toBe(201);
    const commands = since(from);
    expect(commands.map((c) => c.type)).toEqual([
      RegisterTenantV1.type,
      CreateUserV1.type,
      RegisterTenantV1.type,
      CreateUserV1.type,
    ]);
    // The same command ids: identity's event store answers the repeated RegisterTenant as before.
    expect(commands[2].id).toBe(commands[0].id);
    expect(commands[3].id).toBe(commands[1].id);
    expect((commands[3].data as { userId: string }).userId).toBe(retried.body['adminUserId']);
  });
});

describe('signing keys', () => {
  it('sends the rotation as the platform administrator, in the platform tenant; answers 202', async () => {
    const from = received.length;
    const answer = await call(PLATFORM, 'POST', '/v1/admin/signing-keys/rotate', { reason: 'drill' });
    const [command] = since(from);
    expect(answer.status).toBe(202);
    expect(answer.body).toEqual({ id: `stream-${command.id}`, version: 1 });
    expect(command).toMatchObject({ type: RotateSigningKeyV1.type, tenantId: 'platform', data: { reason: 'drill' } });
    expectProblem(await call(PLATFORM, 'POST', '/v1/admin/signing-keys/rotate', {}), 400, 'REQUEST.INVALID');
  });
});

describe('secrets never in clear', () => {
  it('no command on Kafka carries a password or client secret in clear, in its value or headers', async () => {
    const messages = await consumeAll(bus, COMMANDS, received.length);
    expect(messages.length).toBeGreaterThanOrEqual(received.length);
    expect(secrets.length).toBeGreaterThanOrEqual(7);
    const onTheWire = messages.map((m) => m.wire.value.toString('utf8') + JSON.stringify(m.wire.headers)).join('\n');
    for (const secret of secrets) expect(onTheWire).not.toContain(secret);
    // ... while each of them is there sealed, under SECRETS_KEY.
    const opened = received.flatMap((r) => {
      const data = r.data as { password?: string; secret?: string };
      return [data.password, data.secret]
        .filter((s): s is string => s !== undefined)
        .map((s) => openSecret(SECRETS_KEY, s));
    });
    for (const secret of secrets) expect(opened).toContain(secret);
  });

  it('the gateway logged none of them', () => {
    expect(logLines.length).toBeGreaterThan(0);
    const logs = logLines.join('\n');
    for (const secret of secrets) expect(logs).not.toContain(secret);
  });
});
