import { randomUUID } from 'node:crypto';
import type { Pool } from 'pg';
import { eventStoreMigrations, migrate, PgEventStore } from '@meridian/shared/event-store';
import { createTestPool, freshSchema } from '@meridian/shared/testing';
import { type Log, stableUuid } from '@meridian/shared/util';
import {
  type DueTimer,
  type ScheduledTimer,
  type TimerCancelledData,
  TimerEventTypes,
  type TimerFiredData,
  type TimerScheduledData,
} from './timer.events';
import type { FireOutcome, FireTimer } from './timer-dispatcher';
import { timerMigrationsFor } from './timers.migrations';

/** What the test `fire` does on a call, in order; once used up, it fires for real. */
export type FireBehaviour = 'throw' | 'hang' | 'stale';

export interface TimerRowState {
  readonly state: 'pending' | 'fired' | 'cancelled';
  readonly attempts: number;
  readonly lastError: string | null;
  readonly settledAt: Date | null;
}

export interface LogEntry {
  readonly level: 'info' | 'warn' | 'error';
  readonly msg: string;
  readonly obj: object;
}

/**
 * Real PostgreSQL (a fresh schema with the event store's and the timers' migrations) and a `fire`
 * that behaves like the mission command: it appends `mission.timer-fired.v1` through the real
 * PgEventStore (idempotently: the event id derives from the timer id), so the trigger settles the
 * row. Every call is recorded with its time, per timer id, across every dispatcher of the bed.
 */
export class TimerTestBed {
  readonly calls = new Map<string, number[]>();
  readonly logs: LogEntry[] = [];
  readonly log: Log = {
    info: (obj, msg) => void this.logs.push({ level: 'info', msg, obj }),
    warn: (obj, msg) => void this.logs.push({ level: 'warn', msg, obj }),
    error: (obj, msg) => void this.logs.push({ level: 'error', msg, obj }),
  };
  private readonly behaviours = new Map<string, FireBehaviour[]>();

  private constructor(
    readonly pool: Pool,
    readonly schema: string,
    readonly store: PgEventStore,
    private readonly dropSchema: () => Promise<void>,
  ) {}

  static async create(prefix: string): Promise<TimerTestBed> {
    const pool = createTestPool(20);
    const { schema, cleanup } = freshSchema(pool, prefix);
    await migrate(pool, schema, [...eventStoreMigrations(schema), ...timerMigrationsFor(schema)]);
    return new TimerTestBed(pool, schema, new PgEventStore(pool, schema), cleanup);
  }

  async close(): Promise<void> {
    await this.dropSchema();
    await this.pool.end();
  }

  readonly fire: FireTimer = async (timer: DueTimer): Promise<FireOutcome> => {
    this.calls.set(timer.timerId, [...(this.calls.get(timer.timerId) ?? []), Date.now()]);
    const behaviour = this.behaviours.get(timer.timerId)?.shift();
    if (behaviour === 'throw') throw new Error(`fire of ${timer.timerId} failed on purpose`);
    if (behaviour === 'hang') return new Promise<never>(() => undefined);
    if (behaviour === 'stale') return 'stale';
    const data: TimerFiredData = {
      missionId: timer.missionId,
      timerId: timer.timerId,
      firedAt: new Date().toISOString(),
    };
    await this.store.append(timer.streamId, 'any', [
      { id: stableUuid(`timer-fired:${timer.timerId}`), type: TimerEventTypes.fired, data },
    ]);
    return 'fired';
  };

  /** The next calls of `fire` for this timer behave so, one behaviour per call. */
  behave(timerId: string, ...behaviours: FireBehaviour[]): void {
    this.behaviours.set(timerId, behaviours);
  }

  callsOf(timerId: string): number[] {
    return this.calls.get(timerId) ?? [];
  }

  /** Appends `mission.timer-scheduled.v1` to a new mission's stream; the caller decides whether to `schedule` it. */
  async scheduleTimer(dueInMs: number): Promise<ScheduledTimer & { readonly missionId: string }> {
    const missionId = randomUUID();
    const data: TimerScheduledData = {
      missionId,
      tenantId: 'acme',
      timerId: randomUUID(),
      sendId: 'deadline',
      event: 'deadline',
      dueAt: new Date(Date.now() + dueInMs).toISOString(),
    };
    await this.store.append(`mission-${missionId}`, 'any', [
      { id: randomUUID(), type: TimerEventTypes.scheduled, data, metadata: { tenantId: 'acme' } },
    ]);
    return { missionId, timerId: data.timerId, dueAt: new Date(data.dueAt) };
  }

  async cancelTimer(timer: { readonly missionId: string; readonly timerId: string }): Promise<void> {
    const data: TimerCancelledData = {
      missionId: timer.missionId,
      timerId: timer.timerId,
      cancelledAt: new Date().toISOString(),
    };
    await this.store.append(`mission-${timer.missionId}`, 'any', [
      { id: randomUUID(), type: TimerEventTypes.cancelled, data },
    ]);
  }

  async row(timerId: string): Promise<TimerRowState | null> {
    const { rows } = await this.pool.query<{
      state: TimerRowState['state'];
      attempts: number;
      last_error: string | null;
      settled_at: Date | null;
    }>(`SELECT state, attempts, last_error, settled_at FROM ${this.schema}.timers WHERE timer_id = $1`, [timerId]);
    const r = rows[0];
    return r ? { state: r.state, attempts: r.attempts, lastError: r.last_error, settledAt: r.settled_at } : null;
  }
}
