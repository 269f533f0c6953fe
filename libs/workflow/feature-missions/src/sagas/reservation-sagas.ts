import { Inject, Injectable, type OnApplicationBootstrap, type OnApplicationShutdown } from '@nestjs/common';
import type { Pool } from 'pg';
import type { Logger } from 'pino';
import { type Decider, type DomainEvent, type EventStore, handle, load } from '@meridian/shared/decider';
import { EVENT_STORE, LOGGER, PG_POOL } from '@meridian/shared/service-kit';
import { stableUuid } from '@meridian/shared/util';
import {
  assetDecider,
  assetStreamId,
  type MissionEvent,
  type SagaCommand,
  sagaDecider,
  type SagaEvent,
  type SagaKind,
  type SagaState,
  sagaStreamId,
  SYSTEM_ACTORS,
} from '@meridian/workflow/domain';
import { type ScheduledTimer, scheduledTimersOf } from '@meridian/workflow/data-access-timers';
import { runSystemCommand } from '../mission-commands';
import { MISSION_SETTINGS, type MissionSettings } from '../mission-settings';

export interface SagaRequest {
  readonly sagaId: string;
  readonly kind: SagaKind;
  readonly missionId: string;
  readonly tenantId: string;
  readonly assetIds: readonly string[];
  readonly window: { readonly start: string; readonly end: string };
}

/** The sagas a mission decision asks for. */
export function sagaRequests(events: readonly DomainEvent[], tenantId: string): SagaRequest[] {
  return (events as readonly MissionEvent[]).flatMap((e): SagaRequest[] => {
    if (e.type === 'mission.assignment-requested.v1') {
      const { sagaId, missionId, assetIds, window } = e.data;
      return [{ sagaId, kind: 'assign', missionId, tenantId, assetIds, window }];
    }
    if (e.type === 'mission.release-requested.v1') {
      const { sagaId, missionId, assetIds } = e.data;
      return [{ sagaId, kind: 'release', missionId, tenantId, assetIds, window: { start: e.data.at, end: e.data.at } }];
    }
    return [];
  });
}

const MAX_RUNNING = 32;
const MAX_QUEUED = 10_000;
const SWEEP_AGE_MS = 5_000;
/** Many missions may want the same asset at once: its stream sees conflicts; retry them rather than stop. */
const HOT = 50;
/** How long a runner holds a saga (a saga takes milliseconds to seconds; a crashed runner's claim lapses). */
const CLAIM_SECONDS = 300;

/**
 * Runs reservation sagas in the background: started right after the mission event that asks for
 * one (`kick`), and resumed from `workflow.sagas` by a periodic sweep (a crash, a restart, a queue
 * that was full, Postgres away for a while). Concurrency and the queue are bounded; a saga another
 * instance runs at the same time only repeats idempotent steps.
 */
@Injectable()
export class ReservationSagas implements OnApplicationBootstrap, OnApplicationShutdown {
  private readonly queue: SagaRequest[] = [];
  private readonly active = new Set<string>();
  private sweeper: NodeJS.Timeout | null = null;
  private stopped = false;

  constructor(
    @Inject(EVENT_STORE) private readonly store: EventStore,
    @Inject(PG_POOL) private readonly pool: Pool,
    @Inject(LOGGER) private readonly log: Logger,
    @Inject(MISSION_SETTINGS) private readonly settings: MissionSettings,
  ) {}

  onApplicationBootstrap(): void {
    void this.sweep(0);
    this.sweeper = setInterval(() => void this.sweep(SWEEP_AGE_MS), this.settings.sagaSweepMs);
    this.sweeper.unref();
  }

  async onApplicationShutdown(): Promise<void> {
    this.stopped = true;
    if (this.sweeper) clearInterval(this.sweeper);
    while (this.active.size > 0) await new Promise((r) => setTimeout(r, 20));
  }

  /** Where newly armed timers are told (the BullMQ dispatcher needs them; the poller finds them itself). */
  private timerSink: ((timers: readonly ScheduledTimer[]) => Promise<void>) | null = null;

  onTimersScheduled(sink: (timers: readonly ScheduledTimer[]) => Promise<void>): void {
    this.timerSink = sink;
  }

  /** What a mission decision asks for next: the sagas it starts and the timers it arms. */
  afterDecision(events: readonly DomainEvent[], tenantId: string): void {
    this.kick(sagaRequests(events, tenantId));
    const timers = scheduledTimersOf(events);
    if (timers.length > 0 && this.timerSink) void this.timerSink(timers);
  }

  kick(requests: readonly SagaRequest[]): void {
    for (const r of requests) {
      if (this.active.has(r.sagaId) || this.queue.some((q) => q.sagaId === r.sagaId)) continue;
      if (this.queue.length >= MAX_QUEUED) return; // the sweep finds it later
      this.queue.push(r);
    }
    this.drain();
  }

  /** Unfinished sagas older than `minAgeMs`, resumed. */
  async sweep(minAgeMs: number): Promise<number> {
    if (this.stopped) return 0;
    try {
      const { rows } = await this.pool.query<{ saga_id: string; kind: SagaKind; tenant_id: string; data: SagaData }>(
        `SELECT saga_id, kind, tenant_id, data FROM ${this.settings.schema}.sagas
          WHERE finished_at IS NULL AND requested_at <= now() - make_interval(secs => $1::float / 1000)
            AND (claimed_until IS NULL OR claimed_until < now())
          ORDER BY requested_at LIMIT 1000`,
        [minAgeMs],
      );
      this.kick(rows.map((r) => requestOf(r.saga_id, r.kind, r.tenant_id, r.data)));
      return rows.length;
    } catch (err) {
      this.log.warn({ err }, 'reservation saga sweep failed; next sweep retries');
      return 0;
    }
  }

  private drain(): void {
    while (!this.stopped && this.active.size < MAX_RUNNING && this.queue.length > 0) {
      const next = this.queue.shift();
      if (!next) return;
      this.active.add(next.sagaId);
      void this.run(next)
        .catch((err: unknown) =>
          this.log.warn({ err, sagaId: next.sagaId }, 'reservation saga stopped; the sweep resumes it'),
        )
        .finally(() => {
          this.active.delete(next.sagaId);
          this.drain();
        });
    }
  }

  /**
   * One saga to its end, from where its recorded progress says it is — if this runner gets its
   * claim: two runners on one saga could record a reservation after the other's refusal.
   */
  async run(request: SagaRequest): Promise<void> {
    const claimed = await this.pool.query(
      `UPDATE ${this.settings.schema}.sagas SET claimed_until = now() + make_interval(secs => $2)
        WHERE saga_id = $1 AND finished_at IS NULL AND (claimed_until IS NULL OR claimed_until < now())
        RETURNING 1`,
      [request.sagaId, CLAIM_SECONDS],
    );
    if (claimed.rowCount === 0) return;
    try {
      await this.runClaimed(request);
    } finally {
      await this.pool
        .query(`UPDATE ${this.settings.schema}.sagas SET claimed_until = NULL WHERE saga_id = $1`, [request.sagaId])
        .catch(() => undefined); // the lease runs out on its own
    }
  }

  private async runClaimed(request: SagaRequest): Promise<void> {
    const { sagaId, missionId, tenantId } = request;
    const at = () => new Date().toISOString();
    await this.saga(sagaId, { type: 'StartSaga', data: { ...request, at: at() } }, 'start');
    let state = await this.sagaState(sagaId);
    if (state.status !== 'running') return;
    const meta = { tenantId, actor: SYSTEM_ACTORS.saga, causationId: sagaId, correlationId: sagaId };
    const { assetIds, window } = state.started;
    if (state.started.kind === 'assign' && !state.refusal) {
      for (const assetId of assetIds) {
        if (state.reserved.includes(assetId)) continue;
        const reserved = await handle(
          this.store,
          assetDecider,
          assetStreamId(assetId),
          {
            type: 'ReserveAsset',
            data: { assetId, tenantId, missionId, start: window.start, end: window.end, now: at() },
          },
          { commandId: stableUuid(`saga-reserve:${sagaId}:${assetId}`), metadata: meta, maxConflictRetries: HOT },
        );
        const step: SagaEvent = reserved.ok
          ? { type: 'saga.asset-reserved.v1', data: { assetId, at: at() } }
          : {
              type: 'saga.asset-refused.v1',
              data: { assetId, reason: `${reserved.code}: ${reserved.detail}`, at: at() },
            };
        await this.saga(sagaId, { type: 'RecordSagaStep', data: step }, `${step.type}:${assetId}`);
        if (!reserved.ok) break;
      }
      state = await this.sagaState(sagaId);
      if (state.status !== 'running') return;
      if (!state.refusal) {
        const done = await runSystemCommand(
          this.store,
          missionId,
          {
            type: 'CompleteAssignment',
            data: { missionId, sagaId, now: at(), commandId: stableUuid(`saga-complete:${sagaId}`) },
          },
          stableUuid(`saga-complete:${sagaId}`),
          meta,
        );
        if (done.ok) {
          this.afterDecision(done.events, tenantId);
          await this.finish(sagaId, 'completed', null);
          return;
        }
        await this.compensate(state, meta, `the mission no longer waits: ${done.detail}`);
        return;
      }
      await this.compensate(state, meta, state.refusal.reason);
      return;
    }
    // release (or an assignment refused before a crash: compensate)
    if (state.started.kind === 'assign' && state.refusal) {
      await this.compensate(state, meta, state.refusal.reason);
      return;
    }
    await this.releaseAll(state, state.started.assetIds, meta);
    await this.finish(sagaId, 'completed', null);
  }

  private async compensate(state: RunningSaga, meta: SagaMeta, reason: string): Promise<void> {
    const { sagaId, missionId } = state.started;
    await this.releaseAll(state, state.reserved, meta);
    await runSystemCommand(
      this.store,
      missionId,
      { type: 'FailAssignment', data: { missionId, sagaId, reason, now: new Date().toISOString() } },
      stableUuid(`saga-fail:${sagaId}`),
      meta,
    );
    await this.finish(sagaId, 'failed', reason);
  }

  private async releaseAll(state: RunningSaga, assetIds: readonly string[], meta: SagaMeta): Promise<void> {
    const { sagaId, missionId, tenantId } = state.started;
    for (const assetId of assetIds) {
      if (state.released.includes(assetId)) continue;
      const released = await handle(
        this.store,
        assetDecider,
        assetStreamId(assetId),
        { type: 'ReleaseAsset', data: { assetId, tenantId, missionId, now: new Date().toISOString() } },
        { commandId: stableUuid(`saga-release:${sagaId}:${assetId}`), metadata: meta, maxConflictRetries: HOT },
      );
      if (!released.ok)
        this.log.warn({ sagaId, assetId, code: released.code }, 'release refused; nothing to give back');
      const step: SagaEvent = { type: 'saga.asset-released.v1', data: { assetId, at: new Date().toISOString() } };
      await this.saga(sagaId, { type: 'RecordSagaStep', data: step }, `${step.type}:${assetId}`);
    }
  }

  private finish(sagaId: string, outcome: 'completed' | 'failed', reason: string | null): Promise<unknown> {
    const step: SagaEvent = { type: 'saga.finished.v1', data: { outcome, reason, at: new Date().toISOString() } };
    return this.saga(sagaId, { type: 'RecordSagaStep', data: step }, 'finished');
  }

  private saga(sagaId: string, command: SagaCommand, step: string): Promise<unknown> {
    return handle(this.store, sagaDecider, sagaStreamId(sagaId), command, {
      commandId: stableUuid(`saga-step:${sagaId}:${step}`),
    });
  }

  private async sagaState(sagaId: string): Promise<SagaState> {
    return (await load(this.store, sagaDecider as Decider<unknown, SagaState, SagaEvent>, sagaStreamId(sagaId))).state;
  }
}

type RunningSaga = Exclude<SagaState, { status: 'none' }>;
type SagaMeta = { tenantId: string; actor: string; causationId: string; correlationId: string };
type SagaData = { missionId: string; assetIds: string[]; window?: { start: string; end: string }; at?: string };

function requestOf(sagaId: string, kind: SagaKind, tenantId: string, data: SagaData): SagaRequest {
  const at = data.at ?? new Date().toISOString();
  return {
    sagaId,
    kind,
    tenantId,
    missionId: data.missionId,
    assetIds: data.assetIds,
    window: data.window ?? { start: at, end: at },
  };
}
