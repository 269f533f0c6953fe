import 'reflect-metadata';
import { randomBytes, randomUUID } from 'node:crypto';
import { Module } from '@nestjs/common';
import { NestFactory } from '@nestjs/core';
import { FastifyAdapter, type NestFastifyApplication } from '@nestjs/platform-fastify';
import { afterAll, beforeAll, describe, expect, it } from '@jest/globals';
import { type CryptoKey, exportJWK, generateKeyPair, SignJWT } from 'jose';
import pino from 'pino';
import { v7 as uuidv7, version as uuidVersion } from 'uuid';
import {
  commandRejection,
  commandReply,
  dlqDefinitions,
  type Envelope,
  type MessageContract,
  queryRejection,
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
import {
  CreateMissionV1,
  GetMissionV1,
  ListMissionsV1,
  type Mission,
  MissionHistoryV1,
  PublishWorkflowDefinitionV1,
  SendMissionEventV1,
} from '@meridian/contracts/missions';
import { GatewayDataAccessModule, type GatewaySettings } from '@meridian/gateway/data-access';
import { Authentication } from '@meridian/gateway/util-auth';
import { sendProblem, toProblem } from '@meridian/gateway/util-http';
import { type MessageBus, type ReplyBody, sendReply, serveRequests, Subscription } from '@meridian/shared/messaging';
import { baseConfigSchema, CoreModule, loadConfig } from '@meridian/shared/service-kit';
import {
  createTestBus,
  createTopics,
  deleteTopics,
  testBrokers,
  testDatabaseUrl,
  uniqueTopic,
} from '@meridian/shared/testing';
import { silentLog, stableUuid } from '@meridian/shared/util';
import { GatewayMissionsModule } from './gateway-missions.module';

/*
 * The missions API through HTTP against a gateway booted
 * as apps/gateway boots it (CoreModule, the gateway's data access with its KeyDirectory and
 * PrincipalDirectory reading the identity topics of the test broker, the authentication hook of
 * apps/gateway/src/http.ts). Stand-ins answer as workflow and geo-query would: workflow's commands
 * go to a topic of this file; geo-query's stand-in reads the real query topic and answers only
 * this file's tenant. This tests what the gateway puts on Kafka and how it answers, not workflow
 * or geo-query.
 */

const run = randomBytes(4).toString('hex');
const ISSUER = `http://issuer-missions-${run}.test`;
const TENANT = `mis-${run}`;
const COMMANDS = uniqueTopic('workflow-commands');
const REDIS_URL = process.env['TEST_REDIS_URL'] ?? 'redis://127.0.0.1:6379';
const COMMAND_TIMEOUT_MS = 1500;
const PUBLIC_URL = 'http://gateway.test';

const principal = (subject: string, roles: Principal['roles'], over: Partial<Principal> = {}): Principal => ({
  tenantId: TENANT,
  subject,
  kind: 'user',
  roles,
  platformAdmin: false,
  region: null,
  clearance: 0,
  teams: null,
  hours: null,
  ...over,
});

const DISPATCHER = principal(`dispatcher-${run}`, ['dispatcher']);
const APPROVER = principal(`approver-${run}`, ['approver']);
const VIEWER = principal(`viewer-${run}`, ['viewer']);
const NOBODY = principal(`nobody-${run}`, []);

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
const WINDOW = { start: '2026-12-01T08:00:00Z', end: '2026-12-01T12:00:00Z' };
const NEW_MISSION = { title: 'Inspect the bridges', area: AREA, window: WINDOW };

let bus: MessageBus;
let app: NestFastifyApplication;
let base: string;
let workflow: Subscription;
let geoQuery: Subscription;
let signingKey: { kid: string; privateKey: CryptoKey };
/** Every command and query the stand-ins received, in order. */
const commands: Envelope[] = [];
const queries: Envelope[] = [];
/** How the stand-ins answer a message type instead of their default. */
const scripted = new Map<string, (request: Envelope) => Promise<ReplyBody>>();

const accepted = (streamId: string, version: number): ReplyBody =>
  commandReply({ outcome: 'accepted', streamId, version });

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

/** Runs `work` with a stand-in answering `type` as `answer` says, then restores the default. */
async function scripting<T>(
  type: string,
  answer: (request: Envelope) => Promise<ReplyBody>,
  work: () => Promise<T>,
): Promise<T> {
  scripted.set(type, answer);
  try {
    return await work();
  } finally {
    scripted.delete(type);
  }
}

const mission = (id: string, over: Partial<Mission> = {}): Mission => ({
  id,
  title: 'Inspect the bridges',
  state: 'approved',
  done: false,
  version: 3,
  definition: { key: 'default', version: 1 },
  priority: 3,
  area: AREA as Mission['area'],
  window: WINDOW,
  deadline: '2026-12-01T08:15:00Z',
  assetIds: [],
  assignment: null,
  createdBy: DISPATCHER.subject,
  createdAt: '2026-11-30T14:00:00Z',
  updatedAt: '2026-11-30T15:00:00Z',
  allowedEvents: ['assign', 'cancel'],
  ...over,
});

/** The missions geo-query's stand-in lists, in id order (uuid v7: time-ordered). */
const LISTED = Array.from({ length: 5 }, () => uuidv7()).sort();
const UNKNOWN_MISSION = uuidv7();

/** The default answers of geo-query's stand-in: keyset pages over LISTED and a 7-entry history. */
function answerQuery(request: Envelope): ReplyBody {
  const data = request.data as { missionId?: string; limit: number; after?: string | number };
  switch (request.type) {
    case GetMissionV1.type:
      return data.missionId === UNKNOWN_MISSION
        ? queryRejection('MISSION.NOT_FOUND', 'no such mission')
        : queryReply({ outcome: 'ok', result: mission(data.missionId ?? '') });
    case ListMissionsV1.type: {
      const rest = LISTED.filter((id) => data.after === undefined || id > String(data.after));
      const items = rest.slice(0, data.limit).map((id) => mission(id));
      const more = rest.length > data.limit;
      return queryReply({ outcome: 'ok', result: { items, after: more ? (items.at(-1)?.id ?? null) : null } });
    }
    case MissionHistoryV1.type: {
      const versions = [1, 2, 3, 4, 5, 6, 7].filter((v) => data.after === undefined || v > Number(data.after));
      const items = versions.slice(0, data.limit).map((version) => ({
        version,
        kind: version === 1 ? 'created' : 'transitioned',
        event: version === 1 ? null : 'submit',
        from: version === 1 ? null : 'draft',
        to: 'submitted',
        actor: DISPATCHER.subject,
        cause: version === 1 ? null : 'user',
        reason: null,
        assetIds: [],
        at: '2026-11-30T14:00:00Z',
      }));
      const more = versions.length > data.limit;
      return queryReply({ outcome: 'ok', result: { items, after: more ? String(items.at(-1)?.version) : null } });
    }
    default:
      return queryRejection('CONTRACT.VIOLATION', `unknown message type ${request.type}`);
  }
}

/** A stand-in for geo-query on the shared query topic: it answers this file's tenant and nobody else. */
async function standInForGeoQuery(): Promise<Subscription> {
  const groupId = `geo-query-stand-in-${run}`;
  // Starts at the topic's end: earlier requests (of other runs) are none of its business.
  const admin = await bus.admin();
  const ends = await bus.endOffsets(Topics.geoQueryRequests);
  await admin.setOffsets({
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
    const body = (await scripted.get(request.type)?.(request)) ?? answerQuery(request);
    await sendReply(bus, 'geo-query-stand-in', request, body);
  });
  return subscription;
}

beforeAll(async () => {
  bus = createTestBus('missions-int');
  // A fresh broker has none of Meridian's topics until a service starts: these tests publish first.
  await bus.ensureTopics([...topicDefinitions, ...dlqDefinitions]);
  await createTopics(bus, [COMMANDS]);
  const pair = await generateKeyPair('ES256', { extractable: true });
  signingKey = { kid: `missions-${run}`, privateKey: pair.privateKey };
  const jwk = { ...(await exportJWK(pair.publicKey)), kid: signingKey.kid, alg: 'ES256', use: 'sig' };
  const hourAgo = new Date(Date.now() - 3_600_000).toISOString();
  const key = { issuer: ISSUER, jwk, createdAt: hourAgo, activatesAt: hourAgo, retiredAt: null, expiresAt: null };
  await bus.send(Topics.identityKeys, [wire(SigningKeyV1, key, signingKey.kid)]);
  for (const p of [DISPATCHER, APPROVER, VIEWER, NOBODY]) {
    const data = { principal: p, name: p.subject, active: true, version: 1, changedAt: new Date().toISOString() };
    await bus.send(Topics.identityPrincipals, [wire(PrincipalSnapshotV1, data, principalKey(p.tenantId, p.subject))]);
  }

  // The stand-in for workflow: records each command, then accepts it unless a test scripted otherwise.
  const route = async (request: Envelope): Promise<ReplyBody> => {
    commands.push(request);
    const scriptedAnswer = await scripted.get(request.type)?.(request);
    if (scriptedAnswer) return scriptedAnswer;
    const data = request.data as { missionId?: string; key?: string };
    return request.type === PublishWorkflowDefinitionV1.type
      ? accepted(`definition-${data.key}`, 2)
      : accepted(`mission-${data.missionId}`, request.type === CreateMissionV1.type ? 1 : 4);
  };
  workflow = await serveRequests(bus, {
    service: 'workflow-stand-in',
    topic: COMMANDS,
    groupId: `workflow-stand-in-${run}`,
    routes: Object.fromEntries(
      [PublishWorkflowDefinitionV1, CreateMissionV1, SendMissionEventV1].map((c) => [c.type, route]),
    ),
    rejection: commandRejection,
    log: silentLog,
  });
  geoQuery = await standInForGeoQuery();

  const config = loadConfig(baseConfigSchema, {
    KAFKA_BROKERS: testBrokers().join(','),
    DATABASE_URL: testDatabaseUrl(),
    REDIS_URL,
    LOG_LEVEL: 'silent',
    INSTANCE_ID: `missions-int-${run}`,
  });
  const settings: GatewaySettings = {
    commandTimeoutMs: COMMAND_TIMEOUT_MS,
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
      GatewayMissionsModule.withCommandTopic(COMMANDS),
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
  // Ready once the directories loaded the keys and principals, and both stand-ins answer.
  const deadline = Date.now() + 60_000;
  // A principal without roles is refused 403 once it is known (401 before).
  while ((await call(NOBODY, 'GET', '/v1/missions')).status !== 403) {
    if (Date.now() > deadline) throw new Error('the gateway did not load the keys and principals within 60 s');
    await new Promise((r) => setTimeout(r, 200));
  }
  while ((await call(VIEWER, 'GET', `/v1/missions/${LISTED[0]}`)).status !== 200) {
    if (Date.now() > deadline) throw new Error('the geo-query stand-in did not answer within 60 s');
    await new Promise((r) => setTimeout(r, 200));
  }
}, 120_000);

afterAll(async () => {
  await app?.close();
  await workflow?.stop();
  await geoQuery?.stop();
  await deleteTopics(bus, [COMMANDS]);
  await bus?.close();
});

/** The commands received since `from` (an index into `commands`). */
const since = (from: number): Envelope[] => commands.slice(from);
const principalOf = (request: Envelope | undefined): unknown => JSON.parse(request?.principal ?? 'null');

describe('POST /v1/workflow-definitions', () => {
  const definition = {
    key: 'inspection',
    machine: { id: 'inspection', initial: 'draft', states: { draft: { type: 'final' } } },
    deadlineTolerance: 'PT30M',
  };

  it('answers 201 {key, version} with the version workflow published, and Location', async () => {
    const from = commands.length;
    const answer = await call(APPROVER, 'POST', '/v1/workflow-definitions', definition);
    expect(answer.status).toBe(201);
    expect(answer.body).toEqual({ key: 'inspection', version: 2 });
    expect(answer.headers.get('location')).toBe('/v1/workflow-definitions/inspection');
    const [command] = since(from);
    expect(command).toMatchObject({ type: PublishWorkflowDefinitionV1.type, tenantId: TENANT, data: definition });
    expect(principalOf(command)).toEqual(APPROVER);
  });

  it('needs missions:approve (a dispatcher is refused 403 before anything is sent)', async () => {
    const from = commands.length;
    expectProblem(await call(DISPATCHER, 'POST', '/v1/workflow-definitions', definition), 403, 'AUTH.FORBIDDEN_ROLE');
    expect(since(from)).toEqual([]);
  });

  it("answers workflow's refusal of the machine as 400 DEFINITION.INVALID with its reason", async () => {
    const answer = await scripting(
      PublishWorkflowDefinitionV1.type,
      async () => commandRejection('DEFINITION.INVALID', 'state "lost" is unreachable'),
      () => call(APPROVER, 'POST', '/v1/workflow-definitions', definition),
    );
    expectProblem(answer, 400, 'DEFINITION.INVALID');
    expect(answer.body['detail']).toBe('state "lost" is unreachable');
  });

  it('with an Idempotency-Key: a retry gets the first answer and publishes nothing more', async () => {
    const from = commands.length;
    const key = `def-${run}`;
    const first = await call(APPROVER, 'POST', '/v1/workflow-definitions', definition, { 'idempotency-key': key });
    const again = await call(APPROVER, 'POST', '/v1/workflow-definitions', definition, { 'idempotency-key': key });
    expect([first.status, again.status]).toEqual([201, 201]);
    expect(again.body).toEqual(first.body);
    expect(since(from).map((c) => c.id)).toEqual([stableUuid(`definition-command:${TENANT}:${key}`)]);
  });

  it('refuses a bad key, a machine that is not an object and unknown fields, sending nothing', async () => {
    const from = commands.length;
    for (const body of [
      { ...definition, key: 'Not A Key' },
      { ...definition, machine: [1, 2, 3] },
      { ...definition, machine: 'draft -> done' },
      { ...definition, deadlineTolerance: '15 minutes' },
      { ...definition, version: 3 },
    ]) {
      expectProblem(await call(APPROVER, 'POST', '/v1/workflow-definitions', body), 400, 'REQUEST.INVALID');
    }
    expect(since(from)).toEqual([]);
  });
});

describe('POST /v1/missions', () => {
  it('answers 201 {id, version} with Location and ETag; the id is a UUID v7, the defaults filled in', async () => {
    const from = commands.length;
    const answer = await call(DISPATCHER, 'POST', '/v1/missions', NEW_MISSION);
    expect(answer.status).toBe(201);
    const id = String(answer.body['id']);
    expect(uuidVersion(id)).toBe(7);
    expect(answer.body).toEqual({ id, version: 1 });
    expect(answer.headers.get('location')).toBe(`/v1/missions/${id}`);
    expect(answer.headers.get('etag')).toBe('"1"');
    const [command] = since(from);
    expect(command).toMatchObject({ type: CreateMissionV1.type, tenantId: TENANT });
    expect(command?.data).toEqual({ ...NEW_MISSION, missionId: id, definition: 'default', priority: 3 });
    expect(principalOf(command)).toEqual(DISPATCHER);
  });

  it('with an Idempotency-Key: the id derives from it, a retry gets the first answer, one command goes', async () => {
    const from = commands.length;
    const key = `mission-${run}`;
    const body = { ...NEW_MISSION, definition: 'inspection', priority: 1 };
    const first = await call(DISPATCHER, 'POST', '/v1/missions', body, { 'idempotency-key': key });
    const again = await call(DISPATCHER, 'POST', '/v1/missions', body, { 'idempotency-key': key });
    const id = stableUuid(`mission:${TENANT}:${key}`);
    expect([first.status, first.body, again.status, again.body]).toEqual([
      201,
      { id, version: 1 },
      201,
      { id, version: 1 },
    ]);
    expect(again.headers.get('etag')).toBe('"1"');
    expect(since(from).map((c) => [c.id, (c.data as { definition: string }).definition])).toEqual([
      [stableUuid(`mission-command:${TENANT}:${key}`), 'inspection'],
    ]);
    const reused = await call(DISPATCHER, 'POST', '/v1/missions', NEW_MISSION, { 'idempotency-key': key });
    expectProblem(reused, 422, 'IDEMPOTENCY.KEY_REUSED');
    expect(since(from)).toHaveLength(1);
  });

  it('refuses a window whose end is not after its start: 400 MISSION.WINDOW_INVALID, nothing sent', async () => {
    const from = commands.length;
    for (const window of [
      { start: WINDOW.end, end: WINDOW.start },
      { start: WINDOW.start, end: WINDOW.start },
      { start: '2026-12-01T10:00:00+02:00', end: '2026-12-01T08:00:00Z' }, // the same instant
    ]) {
      expectProblem(
        await call(DISPATCHER, 'POST', '/v1/missions', { ...NEW_MISSION, window }),
        400,
        'MISSION.WINDOW_INVALID',
      );
    }
    expect(since(from)).toEqual([]);
  });

  it('refuses an area that is not a GeoJSON Polygon: 400 MISSION.AREA_INVALID, nothing sent', async () => {
    const from = commands.length;
    for (const area of [
      { type: 'Point', coordinates: [8.5, 47.4] },
      { type: 'Polygon', coordinates: [[['8.5', '47.35']]] },
      'POLYGON((8.5 47.35, 8.56 47.35, 8.5 47.35))',
      null,
    ]) {
      expectProblem(
        await call(DISPATCHER, 'POST', '/v1/missions', { ...NEW_MISSION, area }),
        400,
        'MISSION.AREA_INVALID',
      );
    }
    // No area at all is a missing field, as for any other.
    const { area: _, ...withoutArea } = NEW_MISSION;
    const missing = await call(DISPATCHER, 'POST', '/v1/missions', withoutArea);
    expectProblem(missing, 400, 'REQUEST.INVALID');
    expect(missing.body['errors']).toEqual([expect.objectContaining({ path: 'area' })]);
    expect(since(from)).toEqual([]);
  });

  it('refuses hostile bodies as problem+json 400/415 listing what is wrong, sending nothing', async () => {
    const from = commands.length;
    const invalid: unknown[] = [
      { ...NEW_MISSION, title: 42 },
      { ...NEW_MISSION, title: 'x'.repeat(100_000) },
      { ...NEW_MISSION, priority: 9 },
      { ...NEW_MISSION, priority: '1' },
      { ...NEW_MISSION, window: { start: 'tomorrow', end: 'later' } },
      { ...NEW_MISSION, window: { ...WINDOW, timezone: 'CET' } },
      { ...NEW_MISSION, definition: '../../etc/passwd' },
      { ...NEW_MISSION, missionId: randomUUID() },
      { ...NEW_MISSION, constructor: { name: 'Object' } },
      { ...NEW_MISSION, tags: Array.from({ length: 50_000 }, (_, i) => i) },
      [NEW_MISSION],
      null,
    ];
    for (const body of invalid) {
      const answer = await call(DISPATCHER, 'POST', '/v1/missions', body ?? 'null');
      expectProblem(answer, 400, 'REQUEST.INVALID');
      expect(Array.isArray(answer.body['errors'])).toBe(true);
    }
    const withTitle = await call(DISPATCHER, 'POST', '/v1/missions', { ...NEW_MISSION, title: 42, colour: 'red' });
    expect((withTitle.body['errors'] as { path: string }[]).map((e) => e.path).sort()).toEqual(['(body)', 'title']);
    expectProblem(await call(DISPATCHER, 'POST', '/v1/missions', '{"title": "x",'), 400, 'REQUEST.MALFORMED_JSON');
    const poisoned = '{"title": "x", "__proto__": {"admin": true}}';
    expectProblem(await call(DISPATCHER, 'POST', '/v1/missions', poisoned), 400, 'REQUEST.MALFORMED_JSON');
    expectProblem(
      await call(DISPATCHER, 'POST', '/v1/missions', 'title=x', {
        'content-type': 'application/x-www-form-urlencoded',
      }),
      415,
      'REQUEST.UNSUPPORTED_MEDIA_TYPE',
    );
    expect(since(from)).toEqual([]);
  });

  it('needs missions:write: a viewer is refused 403', async () => {
    expectProblem(await call(VIEWER, 'POST', '/v1/missions', NEW_MISSION), 403, 'AUTH.FORBIDDEN_ROLE');
  });

  it("answers workflow's refusals with their status: unknown definition 400, existing mission 409", async () => {
    for (const [code, status] of [
      ['MISSION.DEFINITION_UNKNOWN', 400],
      ['MISSION.ALREADY_EXISTS', 409],
      ['AUTH.OUTSIDE_REGION', 403],
    ] as const) {
      const answer = await scripting(
        CreateMissionV1.type,
        async () => commandRejection(code, 'refused'),
        () => call(DISPATCHER, 'POST', '/v1/missions', NEW_MISSION),
      );
      expectProblem(answer, status, code);
      expect(answer.headers.get('location')).toBeNull();
    }
  });
});

describe('POST /v1/missions/{id}/events/{event}', () => {
  const id = uuidv7();
  const path = (event: string, missionId = id) => `/v1/missions/${missionId}/events/${event}`;

  it('sends the event without a body and answers 200 {id, version} with ETag', async () => {
    const from = commands.length;
    const answer = await call(DISPATCHER, 'POST', path('submit'));
    expect([answer.status, answer.body, answer.headers.get('etag')]).toEqual([200, { id, version: 4 }, '"4"']);
    const [command] = since(from);
    expect(command).toMatchObject({ type: SendMissionEventV1.type, tenantId: TENANT });
    expect(command?.data).toEqual({ missionId: id, event: 'submit' });
    expect(principalOf(command)).toEqual(DISPATCHER);
  });

  it('passes If-Match as expectedVersion, and a stale one comes back 412', async () => {
    const from = commands.length;
    const body = { reason: 'Bridge closed' };
    expect((await call(APPROVER, 'POST', path('reject'), body, { 'if-match': '"3"' })).status).toBe(200);
    expect(since(from)[0]?.data).toEqual({
      missionId: id,
      event: 'reject',
      reason: 'Bridge closed',
      expectedVersion: 3,
    });
    const stale = await scripting(
      SendMissionEventV1.type,
      async () => commandRejection('REQUEST.PRECONDITION_FAILED', 'the mission is at version 5, not 3'),
      () => call(APPROVER, 'POST', path('reject'), body, { 'if-match': '"3"' }),
    );
    expectProblem(stale, 412, 'REQUEST.PRECONDITION_FAILED');
    expect(stale.headers.get('etag')).toBeNull();
    expectProblem(await call(APPROVER, 'POST', path('reject'), body, { 'if-match': 'W/"3"' }), 400, 'REQUEST.INVALID');
  });

  it('answers an assignment 202 {id, version, sagaId}: the saga reserving the assets', async () => {
    const sagaId = randomUUID();
    const assetIds = [randomUUID(), randomUUID()];
    const from = commands.length;
    const answer = await scripting(
      SendMissionEventV1.type,
      async () => accepted(`saga-${sagaId}`, 5),
      () => call(DISPATCHER, 'POST', path('assign'), { assetIds }),
    );
    expect([answer.status, answer.body, answer.headers.get('etag')]).toEqual([202, { id, version: 5, sagaId }, '"5"']);
    expect(since(from)[0]?.data).toEqual({ missionId: id, event: 'assign', assetIds });
  });

  it('needs only missions:read at the gateway: workflow judges the transition, as the acting viewer', async () => {
    const from = commands.length;
    const answer = await scripting(
      SendMissionEventV1.type,
      async () => commandRejection('AUTH.FORBIDDEN_ROLE', 'missions:approve is not granted by the roles (viewer)'),
      () => call(VIEWER, 'POST', path('approve')),
    );
    expectProblem(answer, 403, 'AUTH.FORBIDDEN_ROLE');
    expect(principalOf(since(from)[0])).toEqual(VIEWER);
    const before = commands.length;
    expectProblem(await call(NOBODY, 'POST', path('approve')), 403, 'AUTH.FORBIDDEN_ROLE');
    expect(commands.length).toBe(before);
  });

  it("maps workflow's refusals to their statuses", async () => {
    for (const [code, status] of [
      ['MISSION.NOT_FOUND', 404],
      ['MISSION.EVENT_UNKNOWN', 400],
      ['MISSION.EVENT_NOT_ALLOWED', 409],
      ['MISSION.GUARD_FAILED', 409],
      ['MISSION.ASSIGNMENT_PENDING', 409],
      ['ASSET.RESERVATION_CONFLICT', 409],
      ['MISSION.SEPARATION_OF_DUTIES', 403],
    ] as const) {
      const answer = await scripting(
        SendMissionEventV1.type,
        async () => commandRejection(code, `refused: ${code}`),
        () => call(APPROVER, 'POST', path('approve')),
      );
      expectProblem(answer, status, code);
      expect(answer.body['detail']).toBe(`refused: ${code}`);
    }
  });

  it('answers 202 pending when workflow does not answer in time', async () => {
    // A mission of its own: the stand-in's slow answer holds up that key's commands only.
    const slow = uuidv7();
    const answer = await scripting(
      SendMissionEventV1.type,
      async () => {
        await new Promise((r) => setTimeout(r, COMMAND_TIMEOUT_MS + 500));
        return accepted(`mission-${id}`, 6);
      },
      () => call(DISPATCHER, 'POST', path('depart', slow)),
    );
    expect(answer.status).toBe(202);
    expect(answer.body).toMatchObject({ id: slow, status: 'pending' });
    expect(answer.headers.get('etag')).toBeNull();
  });

  it('refuses bad ids, event names and hostile bodies before sending anything', async () => {
    const from = commands.length;
    expectProblem(await call(DISPATCHER, 'POST', path('submit', 'not-a-uuid')), 400, 'REQUEST.INVALID');
    for (const event of ['Submit', 'sub-mit', 'x'.repeat(41), '%F0%9F%9A%80']) {
      expectProblem(await call(DISPATCHER, 'POST', path(event)), 400, 'MISSION.EVENT_UNKNOWN');
    }
    for (const body of [
      { assetIds: Array.from({ length: 10_000 }, () => randomUUID()) },
      { assetIds: [] },
      { assetIds: ['not-a-uuid'] },
      { assetIds: randomUUID() },
      { reason: 'x'.repeat(501) },
      { reason: 7 },
      { expectedVersion: 1 },
      { event: 'complete' },
      [randomUUID()],
    ]) {
      expectProblem(await call(DISPATCHER, 'POST', path('assign'), body), 400, 'REQUEST.INVALID');
    }
    expectProblem(await call(DISPATCHER, 'POST', path('assign'), '{"assetIds": ['), 400, 'REQUEST.MALFORMED_JSON');
    // A body without a Content-Type is refused, never read as no body (the assets would be lost).
    const untyped = await fetch(`${base}${path('assign')}`, {
      method: 'POST',
      headers: { authorization: await bearer(DISPATCHER) },
      body: new TextEncoder().encode(JSON.stringify({ assetIds: [randomUUID()] })),
    });
    expect([untyped.status, ((await untyped.json()) as { code: string }).code]).toEqual([
      415,
      'REQUEST.UNSUPPORTED_MEDIA_TYPE',
    ]);
    expect(since(from)).toEqual([]);
  });
});

describe('GET /v1/missions/{id}', () => {
  it('answers the mission with ETag its version, asking geo-query as the caller', async () => {
    const id = LISTED[1];
    const from = queries.length;
    const answer = await call(VIEWER, 'GET', `/v1/missions/${id}`);
    expect(answer.status).toBe(200);
    expect(answer.body).toEqual(mission(id));
    expect(answer.headers.get('etag')).toBe('"3"');
    const [query] = queries.slice(from);
    expect(query).toMatchObject({ type: GetMissionV1.type, data: { missionId: id } });
    expect(principalOf(query)).toEqual(VIEWER);
  });

  it('answers 404 MISSION.NOT_FOUND as problem+json, and 400 for an id that is not a UUID', async () => {
    expectProblem(await call(VIEWER, 'GET', `/v1/missions/${UNKNOWN_MISSION}`), 404, 'MISSION.NOT_FOUND');
    expectProblem(await call(VIEWER, 'GET', '/v1/missions/42'), 400, 'REQUEST.INVALID');
  });

  it('needs missions:read', async () => {
    expectProblem(await call(NOBODY, 'GET', `/v1/missions/${LISTED[0]}`), 403, 'AUTH.FORBIDDEN_ROLE');
  });
});

describe('GET /v1/missions', () => {
  const filter = 'state=approved&bbox=8.4,47.3,8.7,47.5&from=2026-12-01T00:00:00Z&to=2026-12-02T00:00:00Z';

  it('pages by id with self/next links that keep the filter, every mission once', async () => {
    const from = queries.length;
    const seen: string[] = [];
    let next: string | undefined = `/v1/missions?${filter}&limit=2`;
    for (let page = 0; next && page < 10; page++) {
      const answer = await call(VIEWER, 'GET', next);
      expect(answer.status).toBe(200);
      const body = answer.body as {
        missions: Mission[];
        numberReturned: number;
        links: { rel: string; href: string }[];
      };
      expect(body.numberReturned).toBe(body.missions.length);
      seen.push(...body.missions.map((m) => m.id));
      const self = new URL(body.links.find((l) => l.rel === 'self')?.href ?? '');
      expect(self.origin).toBe(PUBLIC_URL);
      expect(Object.fromEntries(self.searchParams)).toMatchObject({
        state: 'approved',
        bbox: '8.4,47.3,8.7,47.5',
        from: '2026-12-01T00:00:00Z',
        to: '2026-12-02T00:00:00Z',
        limit: '2',
      });
      const href = body.links.find((l) => l.rel === 'next')?.href;
      next = href ? href.replace(PUBLIC_URL, '') : undefined;
    }
    expect(seen).toEqual(LISTED);
    const sent = queries.slice(from);
    expect(sent.map((q) => q.type)).toEqual([ListMissionsV1.type, ListMissionsV1.type, ListMissionsV1.type]);
    expect(sent.map((q) => q.data)).toEqual([
      {
        state: 'approved',
        bbox: [8.4, 47.3, 8.7, 47.5],
        from: '2026-12-01T00:00:00Z',
        to: '2026-12-02T00:00:00Z',
        limit: 2,
      },
      expect.objectContaining({ limit: 2, after: LISTED[1] }),
      expect.objectContaining({ limit: 2, after: LISTED[3] }),
    ]);
  });

  it('refuses a window that is not [from < to), bad instants, states and bboxes, and foreign cursors', async () => {
    const from = queries.length;
    for (const [query, code] of [
      ['from=2026-12-02T00:00:00Z&to=2026-12-01T00:00:00Z', 'REQUEST.INVALID'],
      ['from=2026-12-01T00:00:00Z&to=2026-12-01T00:00:00Z', 'REQUEST.INVALID'],
      ['from=yesterday', 'REQUEST.INVALID'],
      ['from=2026-12-01T00:00:00', 'REQUEST.INVALID'], // no offset
      ['state=Approved', 'REQUEST.INVALID'],
      ['state=a&state=b', 'REQUEST.INVALID'],
      ['limit=0', 'REQUEST.INVALID'],
      ['limit=1001', 'REQUEST.INVALID'],
      ['sort=title', 'REQUEST.INVALID'],
      ['bbox=8,47,9', 'QUERY.BBOX_INVALID'],
      ['cursor=bm90IGEgY3Vyc29y', 'QUERY.CURSOR_INVALID'],
    ] as const) {
      expectProblem(await call(VIEWER, 'GET', `/v1/missions?${query}`), 400, code);
    }
    // A cursor of another filter pages nothing else.
    const first = await call(VIEWER, 'GET', '/v1/missions?state=approved&limit=1');
    const href = (first.body['links'] as { rel: string; href: string }[]).find((l) => l.rel === 'next')?.href ?? '';
    const cursor = new URL(href).searchParams.get('cursor') ?? '';
    expectProblem(
      await call(VIEWER, 'GET', `/v1/missions?state=assigned&cursor=${cursor}`),
      400,
      'QUERY.CURSOR_INVALID',
    );
    expect(queries.slice(from)).toHaveLength(1);
  });
});

describe('GET /v1/missions/{id}/history', () => {
  it('pages the history by version, the cursor carrying the version to geo-query', async () => {
    const id = LISTED[2];
    const from = queries.length;
    const versions: number[] = [];
    let next: string | undefined = `/v1/missions/${id}/history?limit=3`;
    while (next) {
      const answer = await call(VIEWER, 'GET', next);
      expect(answer.status).toBe(200);
      const body = answer.body as { entries: { version: number }[]; links: { rel: string; href: string }[] };
      versions.push(...body.entries.map((e) => e.version));
      const href = body.links.find((l) => l.rel === 'next')?.href;
      next = href ? href.replace(PUBLIC_URL, '') : undefined;
    }
    expect(versions).toEqual([1, 2, 3, 4, 5, 6, 7]);
    expect(queries.slice(from).map((q) => q.data)).toEqual([
      { missionId: id, limit: 3 },
      { missionId: id, limit: 3, after: 3 },
      { missionId: id, limit: 3, after: 6 },
    ]);
  });

  it("refuses another mission's cursor and unknown parameters", async () => {
    const first = await call(VIEWER, 'GET', `/v1/missions/${LISTED[2]}/history?limit=3`);
    const href = (first.body['links'] as { rel: string; href: string }[]).find((l) => l.rel === 'next')?.href ?? '';
    const cursor = new URL(href).searchParams.get('cursor') ?? '';
    expectProblem(
      await call(VIEWER, 'GET', `/v1/missions/${LISTED[3]}/history?cursor=${cursor}`),
      400,
      'QUERY.CURSOR_INVALID',
    );
    expectProblem(await call(VIEWER, 'GET', `/v1/missions/${LISTED[3]}/history?after=3`), 400, 'REQUEST.INVALID');
  });
});
