import { randomUUID } from 'node:crypto';
import { afterAll, beforeAll, describe, expect, it } from '@jest/globals';
import type { Pool } from 'pg';
import pino from 'pino';
import type { Envelope } from '@meridian/contracts/core';
import { CreateMissionV1, SendMissionEventV1 } from '@meridian/contracts/missions';
import { GeofenceEnteredV1 } from '@meridian/contracts/zones';
import { handle } from '@meridian/shared/decider';
import { eventStoreMigrations, migrate, PgEventStore } from '@meridian/shared/event-store';
import { Pool as PgPool } from 'pg';
import {
  createTestPool,
  eventually,
  FaultProxy,
  freshSchema,
  testDatabaseUrl,
  testPrincipal,
} from '@meridian/shared/testing';
import {
  assetDecider,
  assetStreamId,
  missionStreamId,
  SYSTEM_ACCESS,
  workflowUpcasters,
  zoneStreamId,
} from '@meridian/workflow/domain';
import { PgTimerPoller, timerMigrationsFor } from '@meridian/workflow/data-access-timers';
import { createMission } from './create-mission/create-mission.handler';
import { recordGeofence } from './geofence/mission-geofence.handler';
import type { MissionSettings } from './mission-settings';
import { ReservationSagas, type SagaRequest, sagaRequests } from './sagas/reservation-sagas';
import { sagaMigrations } from './sagas/saga-migrations';
import { sendMissionEvent } from './send-event/send-mission-event.handler';
import { fireMissionTimer } from './timers/fire-mission-timer';

const tenantId = 'acme';
const dispatcher = testPrincipal(tenantId, { subject: 'dispatcher-1', roles: ['dispatcher'] });
const approver = testPrincipal(tenantId, { subject: 'approver-1', roles: ['approver'] });
const area = {
  type: 'Polygon' as const,
  coordinates: [
    [
      [8.5, 47.3],
      [8.6, 47.3],
      [8.6, 47.4],
      [8.5, 47.4],
      [8.5, 47.3],
    ],
  ],
};

let pool: Pool;
let store: PgEventStore;
let sagas: ReservationSagas;
let settings: MissionSettings;
const fresh = { cleanup: async () => undefined } as { cleanup: () => Promise<void> };

const envelope = <D>(type: string, data: D, principal: string): Envelope<D> => ({
  id: randomUUID(),
  type,
  source: '/meridian/gateway',
  time: new Date().toISOString(),
  data,
  correlationId: randomUUID(),
  tenantId,
  principal,
});

async function newMission(window: { start: string; end: string }): Promise<string> {
  const missionId = randomUUID();
  const data = { missionId, title: 'Survey', definition: 'default', area, window, priority: 3 };
  const reply = await createMission(
    store,
    settings,
    sagas,
    envelope(CreateMissionV1.type, data, dispatcher),
    new Date(),
  );
  expect(reply.data).toMatchObject({ outcome: 'accepted' });
  return missionId;
}

async function send(missionId: string, event: string, principal: string, assetIds?: string[], by = sagas) {
  const data = { missionId, event, ...(assetIds ? { assetIds } : {}) };
  return sendMissionEvent(store, by, envelope(SendMissionEventV1.type, data, principal), new Date());
}

async function register(assetId: string): Promise<void> {
  const registered = await handle(
    store,
    assetDecider,
    assetStreamId(assetId),
    {
      type: 'RegisterAsset',
      data: {
        assetId,
        tenantId,
        name: 'a',
        kind: 'drone',
        sensitivity: 0,
        team: null,
        now: new Date().toISOString(),
        access: SYSTEM_ACCESS,
      },
    },
    { commandId: randomUUID() },
  );
  expect(registered.ok).toBe(true);
}

/** Saga requests of a mission's stream, as the handlers would have kicked them. */
async function requestsOf(missionId: string): Promise<SagaRequest[]> {
  const events = await store.readStream(missionStreamId(missionId));
  return sagaRequests(events, tenantId);
}

const missionStates = async (missionId: string) =>
  (await store.readStream(missionStreamId(missionId)))
    .filter((e) => e.type === 'mission.transitioned.v1')
    .map((e) => (e.data as { to: string }).to);

const stateTypes = async (missionId: string) => (await store.readStream(missionStreamId(missionId))).map((e) => e.type);

beforeAll(async () => {
  pool = createTestPool(20);
  const schema = freshSchema(pool, 'missions');
  fresh.cleanup = schema.cleanup;
  await migrate(pool, schema.schema, [
    ...eventStoreMigrations(schema.schema),
    ...timerMigrationsFor(schema.schema),
    ...sagaMigrations(schema.schema),
  ]);
  store = new PgEventStore(pool, schema.schema, workflowUpcasters);
  settings = { schema: schema.schema, deadlineTolerance: 'PT15M', maxVertices: 1000, sagaSweepMs: 60_000 };
  sagas = new ReservationSagas(store, pool, pino({ level: 'silent' }), settings);
});

afterAll(async () => {
  await sagas.onApplicationShutdown();
  await fresh.cleanup();
  await pool.end();
});

describe('missions on the real event store (PostgreSQL)', () => {
  it('creates the mission and its mission_area zone with the same id', async () => {
    const missionId = await newMission({ start: '2027-01-01T10:00:00Z', end: '2027-01-01T12:00:00Z' });
    const [zone] = await store.readStream(zoneStreamId(missionId));
    expect(zone.data).toMatchObject({ zoneId: missionId, kind: 'mission_area' });
  });

  it('100 missions racing for 10 assets never double-book one; every failed assignment is compensated', async () => {
    const assets = Array.from({ length: 10 }, () => randomUUID());
    for (const assetId of assets) await register(assetId);
    // Overlapping windows: mission i runs [i h, i h + 3 h) so neighbours overlap and far ones do not.
    const base = Date.parse('2027-02-01T00:00:00Z');
    const missions = await Promise.all(
      Array.from({ length: 100 }, async (_, i) => {
        const window = {
          start: new Date(base + i * 3_600_000).toISOString(),
          end: new Date(base + (i + 3) * 3_600_000).toISOString(),
        };
        const missionId = await newMission(window);
        await send(missionId, 'submit', dispatcher);
        await send(missionId, 'approve', approver);
        return { missionId, wanted: [assets[i % 10], assets[(i * 3 + 1) % 10]] };
      }),
    );
    // Every assignment at once: the sagas race for the same assets.
    const replies = await Promise.all(missions.map((m) => send(m.missionId, 'assign', dispatcher, m.wanted)));
    for (const r of replies)
      expect(r.data).toMatchObject({ outcome: 'accepted', streamId: expect.stringMatching(/^saga-/) });
    const all = (await Promise.all(missions.map((m) => requestsOf(m.missionId)))).flat();
    await Promise.allSettled(all.map((r) => sagas.run(r)));
    // What the sweep does in the service: a saga stopped by a failure is resumed until it finishes.
    for (let round = 0; round < 100; round++) {
      const { rows } = await pool.query<{ saga_id: string }>(
        `SELECT saga_id FROM ${settings.schema}.sagas WHERE finished_at IS NULL`,
      );
      if (rows.length === 0) break;
      await new Promise((r) => setTimeout(r, 200)); // a saga another run holds finishes, or its claim is released
      const unfinished = new Set(rows.map((r) => r.saga_id));
      await Promise.allSettled(all.filter((r) => unfinished.has(r.sagaId)).map((r) => sagas.run(r)));
    }
    const { rows: left } = await pool.query(`SELECT 1 FROM ${settings.schema}.sagas WHERE finished_at IS NULL`);
    expect(left).toEqual([]);

    // From the event store: replay each asset's reservations in order; none may overlap another live one.
    const live = new Map<string, { missionId: string; start: number; end: number }[]>();
    for (const assetId of assets) {
      const holding: { missionId: string; start: number; end: number }[] = [];
      for (const e of await store.readStream(assetStreamId(assetId))) {
        const d = e.data as { missionId: string; start: string; end: string };
        if (e.type === 'asset.reserved.v1') {
          const next = { missionId: d.missionId, start: Date.parse(d.start), end: Date.parse(d.end) };
          expect(holding.filter((h) => h.start < next.end && next.start < h.end)).toEqual([]);
          holding.push(next);
        } else if (e.type === 'asset.reservation-released.v1') {
          holding.splice(
            holding.findIndex((h) => h.missionId === d.missionId),
            1,
          );
        }
      }
      live.set(assetId, holding);
    }
    let assigned = 0;
    let failed = 0;
    for (const m of missions) {
      const types = await stateTypes(m.missionId);
      const held = m.wanted.filter((a) => live.get(a)?.some((h) => h.missionId === m.missionId));
      if (types.includes('mission.assignment-failed.v1')) {
        failed++;
        expect(held).toEqual([]); // compensated: nothing of a failed assignment stays reserved
      } else {
        assigned++;
        expect(held.sort()).toEqual([...new Set(m.wanted)].sort());
      }
    }
    expect(assigned).toBeGreaterThan(0);
    expect(failed).toBeGreaterThan(0);
    expect(assigned + failed).toBe(100);
    process.stderr.write(`missions saga: ${assigned} assigned, ${failed} failed and compensated\n`);
  }, 120_000);

  it('a geofence entry moves an assigned mission on site exactly once when its event is delivered twice', async () => {
    const assetId = randomUUID();
    await register(assetId);
    const missionId = await newMission({ start: '2027-03-01T10:00:00Z', end: '2027-03-01T12:00:00Z' });
    await send(missionId, 'submit', dispatcher);
    await send(missionId, 'approve', approver);
    // The assign command delivered twice: one saga, and both answers name it.
    const assign = envelope(SendMissionEventV1.type, { missionId, event: 'assign', assetIds: [assetId] }, dispatcher);
    const replies = [
      await sendMissionEvent(store, sagas, assign, new Date()),
      await sendMissionEvent(store, sagas, assign, new Date()),
    ];
    for (const r of replies) expect(r.data).toMatchObject({ outcome: 'accepted', streamId: `saga-${assign.id}` });
    // The saga the command kicked runs in the background (it holds the saga's claim): wait for it.
    await eventually(async () => expect(await missionStates(missionId)).toContain('assigned'), { timeoutMs: 10_000 });
    const entered = envelope(
      GeofenceEnteredV1.type,
      {
        tenantId,
        assetId,
        zoneId: missionId,
        ts: new Date().toISOString(),
        lon: 8.55,
        lat: 47.35,
        cause: 'fix' as const,
      },
      dispatcher,
    );
    await recordGeofence(store, sagas, entered, true, new Date());
    await recordGeofence(store, sagas, entered, true, new Date());
    const moves = (await store.readStream(missionStreamId(missionId))).filter(
      (e) => e.type === 'mission.transitioned.v1',
    );
    expect(moves.map((e) => (e.data as { to: string }).to)).toEqual(['submitted', 'approved', 'assigned', 'on_site']);
    // A zone that is no mission's area: nothing happens, nothing throws.
    await recordGeofence(
      store,
      sagas,
      { ...entered, id: randomUUID(), data: { ...entered.data, zoneId: randomUUID() } },
      true,
      new Date(),
    );
  });

  it('assign refuses assets the dispatcher may not see (another tenant, another team) as not found', async () => {
    const missionId = await newMission({ start: '2027-05-01T10:00:00Z', end: '2027-05-01T12:00:00Z' });
    await send(missionId, 'submit', dispatcher);
    await send(missionId, 'approve', approver);
    const foreign = randomUUID();
    await handle(
      store,
      assetDecider,
      assetStreamId(foreign),
      {
        type: 'RegisterAsset',
        data: {
          assetId: foreign,
          tenantId: 'other',
          name: 'f',
          kind: 'drone',
          sensitivity: 0,
          team: null,
          now: new Date().toISOString(),
          access: SYSTEM_ACCESS,
        },
      },
      { commandId: randomUUID() },
    );
    const refused = await send(missionId, 'assign', dispatcher, [foreign]);
    expect(refused.data).toMatchObject({ outcome: 'rejected', code: 'ASSET.NOT_FOUND' });
    const redTeam = randomUUID();
    await handle(
      store,
      assetDecider,
      assetStreamId(redTeam),
      {
        type: 'RegisterAsset',
        data: {
          assetId: redTeam,
          tenantId,
          name: 'r',
          kind: 'drone',
          sensitivity: 0,
          team: 'red',
          now: new Date().toISOString(),
          access: SYSTEM_ACCESS,
        },
      },
      { commandId: randomUUID() },
    );
    const blue = testPrincipal(tenantId, { subject: 'dispatcher-blue', roles: ['dispatcher'], teams: ['blue'] });
    const hidden = await send(missionId, 'assign', blue, [redTeam]);
    expect(hidden.data).toMatchObject({ outcome: 'rejected', code: 'ASSET.NOT_FOUND' });
    expect(await stateTypes(missionId)).not.toContain('mission.assignment-requested.v1');
    // The dispatcher without a team restriction may.
    expect((await send(missionId, 'assign', dispatcher, [redTeam])).data).toMatchObject({ outcome: 'accepted' });
  });

  it('a saga cut off by a PostgreSQL outage is resumed by the sweep once PostgreSQL is back', async () => {
    const assetId = randomUUID();
    await register(assetId);
    const missionId = await newMission({ start: '2027-04-01T10:00:00Z', end: '2027-04-01T12:00:00Z' });
    await send(missionId, 'submit', dispatcher);
    await send(missionId, 'approve', approver);
    // The instance that took the command crashes before its saga runs (a stopped runner starts nothing).
    const crashed = new ReservationSagas(store, pool, pino({ level: 'silent' }), settings);
    await crashed.onApplicationShutdown();
    await send(missionId, 'assign', dispatcher, [assetId], crashed);
    const [request] = await requestsOf(missionId);
    // Another workflow instance whose PostgreSQL goes away while it runs the saga.
    const target = new URL(testDatabaseUrl());
    const proxy = new FaultProxy({ targetHost: target.hostname, targetPort: Number(target.port || 5432) });
    await proxy.start();
    target.port = String(proxy.port);
    const cutPool = new PgPool({ connectionString: target.toString(), max: 4, connectionTimeoutMillis: 2000 });
    cutPool.on('error', () => undefined);
    const cutStore = new PgEventStore(cutPool, settings.schema, workflowUpcasters);
    const instance = new ReservationSagas(cutStore, cutPool, pino({ level: 'silent' }), settings);
    try {
      await proxy.cut();
      await expect(instance.run(request)).rejects.toThrow();
      const { rows: waiting } = await pool.query(
        `SELECT 1 FROM ${settings.schema}.sagas WHERE saga_id = $1 AND finished_at IS NULL`,
        [request.sagaId],
      );
      expect(waiting).toHaveLength(1);
      await proxy.restore();
      // The first sweep may still meet a connection the outage broke; the periodic sweep tries again.
      await eventually(async () => expect(await instance.sweep(0)).toBeGreaterThanOrEqual(1), { timeoutMs: 10_000 });
      await eventually(
        async () => {
          const moves = (await store.readStream(missionStreamId(missionId))).filter(
            (e) => e.type === 'mission.transitioned.v1',
          );
          expect(moves.at(-1)?.data).toMatchObject({ to: 'assigned', cause: 'saga' });
        },
        { timeoutMs: 15_000 },
      );
    } finally {
      await instance.onApplicationShutdown();
      await cutPool.end();
      await proxy.stop();
    }
  });

  it('the deadline timer, dispatched from PostgreSQL, makes a late mission overdue once', async () => {
    const start = new Date(Date.now() - 20 * 60_000).toISOString(); // deadline (start + 15 min) has passed
    const missionId = await newMission({ start, end: new Date(Date.now() + 3_600_000).toISOString() });
    await send(missionId, 'submit', dispatcher);
    await send(missionId, 'approve', approver);
    const poller = new PgTimerPoller({
      pool,
      schema: settings.schema,
      fire: (timer) => fireMissionTimer(store, sagas, timer, new Date()),
    });
    await poller.start();
    try {
      await eventually(async () => expect(await stateTypes(missionId)).toContain('mission.timer-fired.v1'), {
        timeoutMs: 15_000,
      });
    } finally {
      await poller.stop();
    }
    const types = await stateTypes(missionId);
    expect(types.filter((t) => t === 'mission.timer-fired.v1')).toHaveLength(1);
    const moves = (await store.readStream(missionStreamId(missionId))).filter(
      (e) => e.type === 'mission.transitioned.v1',
    );
    expect(moves.at(-1)?.data).toMatchObject({ to: 'overdue', cause: 'timer' });
  });
});
