import 'reflect-metadata';
import { randomBytes, randomUUID } from 'node:crypto';
import { Global, type INestApplication, Module } from '@nestjs/common';
import { NestFactory } from '@nestjs/core';
import type { MessageHandler } from '@nestjs/microservices';
import { FastifyAdapter } from '@nestjs/platform-fastify';
import type { Pool } from 'pg';
import pino from 'pino';
import { afterAll, beforeAll, describe, expect, it } from '@jest/globals';
import {
  type DataOf,
  dlqTopic,
  ErrorCodes,
  fromWire,
  MeridianHeaders,
  type MessageContract,
  Topics,
  toWire,
  type WireMessage,
} from '@meridian/contracts/core';
import {
  MissionAssignmentChangedV1,
  MissionCreatedV1,
  type MissionTransition,
  MissionTransitionedV1,
} from '@meridian/contracts/missions';
import { READ_POOL, ReadModelModule } from '@meridian/read-model/data-source';
import { MeridianServer, type MeridianServerOptions, type MessageBus } from '@meridian/shared/messaging';
import { CONFIG, LOGGER, SERVICE_NAME } from '@meridian/shared/service-kit';
import {
  consumeAll,
  createTestBus,
  createTopics,
  deleteTopics,
  eventually,
  testDatabaseUrl,
  uniqueTopic,
} from '@meridian/shared/testing';
import { silentLog } from '@meridian/shared/util';
import { ProjectionMissionsModule } from '../projection-missions.module';

/*
 * The mission projector as the projection service runs it: its routes on a MeridianServer in events
 * mode, fed through the real broker, writing the real read schema. The routes are declared for
 * `meridian.workflow.events`; this file's server serves them on a topic of its own, so that it reads
 * no other file's events and its dead letters are its own.
 */

const run = randomBytes(3).toString('hex');
const tenant = (name: string): string => `pm${run}-${name}`;
const topic = uniqueTopic('mission-projector');

/** A MeridianServer that serves the routes declared for `from` on its own topic. */
class RenamedTopicServer extends MeridianServer {
  constructor(
    bus: MessageBus,
    private readonly from: string,
    options: MeridianServerOptions,
  ) {
    super(bus, options);
  }

  override addHandler(
    pattern: unknown,
    callback: MessageHandler,
    isEventHandler = false,
    extras: Record<string, unknown> = {},
  ): void {
    const renamed = extras['topic'] === this.from ? { ...extras, topic: this.topic } : extras;
    super.addHandler(pattern, callback, isEventHandler, renamed);
  }
}

/** What CoreModule gives a service, as much as the read-model module needs. */
@Global()
@Module({
  providers: [
    { provide: CONFIG, useValue: { DATABASE_URL: testDatabaseUrl(), DATABASE_POOL_SIZE: 4 } },
    { provide: SERVICE_NAME, useValue: 'projection-spec' },
    { provide: LOGGER, useValue: pino({ level: 'silent' }) },
  ],
  exports: [CONFIG, SERVICE_NAME, LOGGER],
})
class TestCoreModule {}

@Module({ imports: [TestCoreModule, ReadModelModule.forRoot({ migrate: true }), ProjectionMissionsModule] })
class TestProjectionModule {}

const square = (lon: number, lat: number) => ({
  type: 'Polygon' as const,
  coordinates: [
    [
      [lon, lat],
      [lon + 0.1, lat],
      [lon + 0.1, lat + 0.1],
      [lon, lat + 0.1],
      [lon, lat],
    ],
  ],
});

const at = (minute: number): string => new Date(Date.UTC(2026, 11, 1, 9, minute)).toISOString();
const draft: MissionTransition[] = [{ event: 'submit', permission: 'missions:write', guards: [] }];
const submitted: MissionTransition[] = [
  { event: 'approve', permission: 'missions:approve', guards: ['notCreator'] },
  { event: 'reject', permission: 'missions:approve', guards: ['notCreator'] },
];
const approved: MissionTransition[] = [{ event: 'assign', permission: 'missions:dispatch', guards: ['hasAssets'] }];
const assigned: MissionTransition[] = [{ event: 'depart', permission: 'missions:dispatch', guards: [] }];

function wire<C extends MessageContract>(contract: C, data: DataOf<C>, key: string, tenantId: string): WireMessage {
  const envelope = {
    id: randomUUID(),
    type: contract.type,
    source: '/meridian/workflow',
    time: new Date().toISOString(),
    data,
    correlationId: randomUUID(),
    tenantId,
  };
  return toWire(envelope, key);
}

const created = (missionId: string, tenantId: string, overrides: Partial<DataOf<typeof MissionCreatedV1>> = {}) =>
  wire(
    MissionCreatedV1,
    {
      missionId,
      tenantId,
      version: 1,
      state: 'draft',
      done: false,
      assetIds: [],
      transitions: draft,
      actor: 'alice',
      at: at(0),
      title: 'Survey the dam',
      definition: { key: 'default', version: 2 },
      area: square(8.5, 47.3),
      window: { start: '2026-12-01T12:00:00.000Z', end: '2026-12-01T14:00:00.000Z' },
      priority: 2,
      deadline: '2026-12-01T12:15:00.000Z',
      createdBy: 'alice',
      ...overrides,
    },
    missionId,
    tenantId,
  );

type Transitioned = DataOf<typeof MissionTransitionedV1>;
const transitioned = (missionId: string, tenantId: string, t: Partial<Transitioned> & { version: number }) =>
  wire(
    MissionTransitionedV1,
    {
      missionId,
      tenantId,
      state: 'submitted',
      done: false,
      assetIds: [],
      transitions: submitted,
      actor: 'alice',
      at: at(t.version),
      from: 'draft',
      event: 'submit',
      cause: 'user',
      reason: null,
      ...t,
    },
    missionId,
    tenantId,
  );

interface MissionRow {
  xmin: string;
  tenant_id: string;
  title: string;
  state: string;
  done: boolean;
  version: number;
  definition_key: string;
  definition_version: number;
  priority: number;
  area: unknown;
  window: string;
  deadline: string;
  asset_ids: string[];
  assignment: unknown;
  transitions: unknown;
  created_by: string;
  created_at: string;
  updated_at: string;
}

interface HistoryRow {
  version: number;
  tenant_id: string;
  kind: string;
  event: string | null;
  from_state: string | null;
  to_state: string;
  actor: string;
  cause: string | null;
  reason: string | null;
  asset_ids: string[];
  at: string;
}

describe('MissionEventsProjector into read.missions and read.mission_history (real Kafka and PostGIS)', () => {
  let app: INestApplication;
  let bus: MessageBus;
  let pool: Pool;

  /** The row, with `xmin`: it changes with any write, so an unchanged row was not written at all. */
  const row = async (missionId: string): Promise<MissionRow | undefined> =>
    (
      await pool.query<MissionRow>(
        `SELECT xmin::text, tenant_id, title, state, done, version, definition_key, definition_version, priority,
           ST_AsGeoJSON(area)::json AS area, "window"::text, to_char(deadline AT TIME ZONE 'UTC',
           'YYYY-MM-DD"T"HH24:MI:SS"Z"') AS deadline, asset_ids, assignment, transitions, created_by,
           to_char(created_at AT TIME ZONE 'UTC', 'YYYY-MM-DD"T"HH24:MI:SS"Z"') AS created_at,
           to_char(updated_at AT TIME ZONE 'UTC', 'YYYY-MM-DD"T"HH24:MI:SS"Z"') AS updated_at
         FROM read.missions WHERE id = $1`,
        [missionId],
      )
    ).rows[0];

  const history = async (missionId: string): Promise<HistoryRow[]> =>
    (
      await pool.query<HistoryRow>(
        `SELECT version, tenant_id, kind, event, from_state, to_state, actor, cause, reason, asset_ids,
           to_char(at AT TIME ZONE 'UTC', 'YYYY-MM-DD"T"HH24:MI:SS"Z"') AS at
         FROM read.mission_history WHERE mission_id = $1 ORDER BY version`,
        [missionId],
      )
    ).rows;

  const send = (...messages: WireMessage[]) => bus.send(topic, messages);

  /**
   * Sends `messages`, then a mission created as a marker, and waits for the marker's row: the topic
   * has one partition, so every message before it has been handled (or dead-lettered) by then.
   */
  async function sendAndSettle(...messages: WireMessage[]): Promise<void> {
    const marker = randomUUID();
    await send(...messages, created(marker, tenant('marker')));
    await eventually(async () => expect(await row(marker)).toBeDefined(), { timeoutMs: 30_000 });
  }

  beforeAll(async () => {
    bus = createTestBus('mission-projector');
    await createTopics(bus, [topic, dlqTopic(topic)]);
    app = await NestFactory.create(TestProjectionModule, new FastifyAdapter(), { logger: false });
    app.connectMicroservice({
      strategy: new RenamedTopicServer(bus, Topics.workflowEvents, {
        mode: 'events',
        topic,
        groupId: `${topic}.projection`,
        fromBeginning: true,
        log: silentLog,
      }),
    });
    await app.init();
    await app.startAllMicroservices();
    pool = app.get<Pool>(READ_POOL);
  });

  afterAll(async () => {
    await pool?.query(`DELETE FROM read.mission_history WHERE tenant_id LIKE $1`, [`pm${run}-%`]);
    await pool?.query(`DELETE FROM read.missions WHERE tenant_id LIKE $1`, [`pm${run}-%`]);
    await app?.close();
    if (bus) {
      await deleteTopics(bus, [topic, dlqTopic(topic)]);
      await bus.close();
    }
  });

  describe('a mission from its events', () => {
    const t = tenant('life');
    const missionId = randomUUID();
    const sagaId = randomUUID();
    const assets = [randomUUID(), randomUUID()].sort();
    const life = [
      created(missionId, t),
      transitioned(missionId, t, { version: 2 }),
      transitioned(missionId, t, {
        version: 3,
        from: 'submitted',
        event: 'approve',
        state: 'approved',
        transitions: approved,
        actor: 'bob',
      }),
      wire(
        MissionAssignmentChangedV1,
        {
          missionId,
          tenantId: t,
          version: 4,
          actor: 'carol',
          at: at(4),
          sagaId,
          outcome: 'requested',
          requestedAssetIds: assets,
          reason: null,
        },
        missionId,
        t,
      ),
      transitioned(missionId, t, {
        version: 5,
        from: 'approved',
        event: 'assign',
        state: 'assigned',
        assetIds: assets,
        transitions: assigned,
        actor: 'system:saga',
        cause: 'saga',
      }),
    ];

    it('holds the newest summary, what the creation said, and the last assignment', async () => {
      await send(...life);
      // The first delivery waits for the consumer group to form.
      await eventually(async () => expect((await row(missionId))?.version).toBe(5), { timeoutMs: 60_000 });

      expect(await row(missionId)).toEqual({
        xmin: expect.any(String),
        tenant_id: t,
        title: 'Survey the dam',
        state: 'assigned',
        done: false,
        version: 5,
        definition_key: 'default',
        definition_version: 2,
        priority: 2,
        area: square(8.5, 47.3),
        window: '["2026-12-01 12:00:00+00","2026-12-01 14:00:00+00")',
        deadline: '2026-12-01T12:15:00Z',
        asset_ids: assets,
        assignment: { sagaId, outcome: 'completed', reason: null },
        transitions: assigned,
        created_by: 'alice',
        created_at: '2026-12-01T09:00:00Z',
        updated_at: '2026-12-01T09:05:00Z',
      });
    });

    it('keeps one history row per version: who did what, when', async () => {
      expect(await history(missionId)).toEqual([
        {
          version: 1,
          tenant_id: t,
          kind: 'created',
          event: null,
          from_state: null,
          to_state: 'draft',
          actor: 'alice',
          cause: null,
          reason: null,
          asset_ids: [],
          at: '2026-12-01T09:00:00Z',
        },
        expect.objectContaining({ version: 2, kind: 'transitioned', event: 'submit', from_state: 'draft' }),
        expect.objectContaining({ version: 3, event: 'approve', from_state: 'submitted', to_state: 'approved' }),
        {
          version: 4,
          tenant_id: t,
          kind: 'assignment-changed',
          event: 'requested',
          from_state: null,
          to_state: 'approved',
          actor: 'carol',
          cause: null,
          reason: null,
          asset_ids: assets,
          at: '2026-12-01T09:04:00Z',
        },
        {
          version: 5,
          tenant_id: t,
          kind: 'transitioned',
          event: 'assign',
          from_state: 'approved',
          to_state: 'assigned',
          actor: 'system:saga',
          cause: 'saga',
          reason: null,
          asset_ids: assets,
          at: '2026-12-01T09:05:00Z',
        },
      ]);
    });

    it('changes nothing when the events are delivered again, or older versions with other content', async () => {
      const before = await row(missionId);
      const historyBefore = await history(missionId);
      expect(before?.version).toBe(5);

      await sendAndSettle(
        ...life,
        ...[...life].reverse(),
        // An older version saying something else must not win, in the row or in its history.
        transitioned(missionId, t, { version: 3, from: 'submitted', event: 'reject', state: 'rejected', done: true }),
        created(missionId, t, { title: 'Renamed by a stale replay' }),
      );

      expect(await row(missionId)).toEqual(before);
      expect(await history(missionId)).toEqual(historyBefore);

      // The guard is the version, not a refusal of everything: the next one applies.
      await send(
        transitioned(missionId, t, {
          version: 6,
          from: 'assigned',
          event: 'cancel',
          state: 'cancelled',
          done: true,
          transitions: [],
          reason: 'storm',
        }),
      );
      await eventually(async () => expect(await row(missionId)).toMatchObject({ version: 6, state: 'cancelled' }));
      expect(await row(missionId)).toMatchObject({ done: true, transitions: [], asset_ids: [] });
      expect((await history(missionId)).at(-1)).toMatchObject({ version: 6, event: 'cancel', reason: 'storm' });
    });

    it('takes a newer version that overtook an older one, and still records the late one in the history', async () => {
      const id = randomUUID();
      await sendAndSettle(
        created(id, t),
        transitioned(id, t, { version: 3, from: 'submitted', event: 'approve', state: 'approved' }),
        transitioned(id, t, { version: 2 }),
      );
      expect(await row(id)).toMatchObject({ version: 3, state: 'approved' });
      expect((await history(id)).map((h) => [h.version, h.to_state])).toEqual([
        [1, 'draft'],
        [2, 'submitted'],
        [3, 'approved'],
      ]);
    });
  });

  it('keeps the state through assignment changes: a failed one says why, in the row and the history', async () => {
    const t = tenant('failed');
    const id = randomUUID();
    const [sagaId, asset] = [randomUUID(), randomUUID()];
    const assignment = (version: number, outcome: 'requested' | 'failed', reason: string | null) =>
      wire(
        MissionAssignmentChangedV1,
        {
          missionId: id,
          tenantId: t,
          version,
          actor: 'carol',
          at: at(version),
          sagaId,
          outcome,
          reason,
          requestedAssetIds: [asset],
        },
        id,
        t,
      );
    await sendAndSettle(
      created(id, t),
      transitioned(id, t, { version: 2, from: 'draft', event: 'approve', state: 'approved', transitions: approved }),
      assignment(4, 'requested', null),
      assignment(7, 'failed', `asset ${asset} is reserved for another mission`),
    );
    expect(await row(id)).toMatchObject({
      version: 7,
      state: 'approved',
      transitions: approved,
      assignment: { sagaId, outcome: 'failed', reason: `asset ${asset} is reserved for another mission` },
      updated_at: '2026-12-01T09:07:00Z',
    });
    expect((await history(id)).map((h) => [h.version, h.kind, h.event, h.to_state, h.asset_ids])).toEqual([
      [1, 'created', null, 'draft', []],
      [2, 'transitioned', 'approve', 'approved', []],
      [4, 'assignment-changed', 'requested', 'approved', [asset]],
      [7, 'assignment-changed', 'failed', 'approved', [asset]],
    ]);
  });

  it("does not let an event of another tenant change a tenant's mission", async () => {
    const owner = tenant('owner');
    const intruder = tenant('intruder');
    const id = randomUUID();
    await sendAndSettle(created(id, owner));
    const before = await row(id);

    // Newer versions, so only the tenant check can stop them.
    await sendAndSettle(
      transitioned(id, intruder, { version: 7, state: 'completed', done: true }),
      created(id, intruder, { version: 8, title: 'Hijacked' }),
    );

    expect(await row(id)).toEqual(before);
    expect((await history(id)).map((h) => [h.version, h.tenant_id])).toEqual([[1, owner]]);
  });

  it('dead-letters a poison record alone and goes on with the next one on its key', async () => {
    const t = tenant('poison');
    const id = randomUUID();
    const refused = randomUUID();
    const notACloudEvent: WireMessage = { key: id, value: Buffer.from('{"hello":"world"}'), headers: {} };
    const broken = transitioned(id, t, { version: 2 });
    const brokenData = { ...(fromWire(broken).data as Transitioned), state: 'Not A State' };
    const violating = toWire({ ...fromWire(broken), data: brokenData }, id);
    // Well-formed, but PostgreSQL refuses it: a window ending before it starts (SQLSTATE 22000).
    const backwards = created(refused, t, {
      window: { start: '2026-12-01T14:00:00.000Z', end: '2026-12-01T12:00:00.000Z' },
    });

    await send(created(id, t), notACloudEvent, violating, backwards, transitioned(id, t, { version: 2 }));

    await eventually(async () => expect((await row(id))?.version).toBe(2));
    const dead = await consumeAll(bus, dlqTopic(topic), 3);
    // Keys are handled concurrently (pipelined), each in order: the refused one may come first.
    const letters = (key: string) => dead.filter((d) => d.wire.key === key);
    expect(dead).toHaveLength(3);
    expect(letters(id).map((d) => [d.envelope?.id ?? null, d.wire.headers[MeridianHeaders.errorCode]])).toEqual([
      [null, ErrorCodes.contractViolation],
      [fromWire(violating).id, ErrorCodes.contractViolation],
    ]);
    expect(letters(refused).map((d) => d.wire.headers[MeridianHeaders.errorCode])).toEqual(['22000']);
    // The refused record left nothing behind: its row and its history row are one statement.
    expect(await row(refused)).toBeUndefined();
    expect(await history(refused)).toEqual([]);
    expect((await history(id)).map((h) => h.to_state)).toEqual(['draft', 'submitted']);
  });
});
