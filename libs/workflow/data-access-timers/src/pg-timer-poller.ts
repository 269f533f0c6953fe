import type { PoolClient } from 'pg';
import { Batcher, type Log, silentLog } from '@meridian/shared/util';
import type { DueTimer, ScheduledTimer } from './timer.events';
import {
  DEFAULT_RETRY,
  errorText,
  FireCounters,
  fireOnce,
  type RetryPolicy,
  type TimerDispatcher,
  type TimerDispatcherOptions,
  type TimerDispatcherStatus,
  WakeableSleep,
} from './timer-dispatcher';
import { type SettledFiring, TimerRows } from './timer-rows';
import { timersChannel } from './timers.migrations';

export interface PgTimerPollerOptions extends TimerDispatcherOptions {
  /** Longest sleep between two polls (default 1 s): how late a timer whose NOTIFY was missed can fire. */
  readonly maxSleepMs?: number;
  /** Timers claimed per query (default 100). */
  readonly batchSize?: number;
  /** How long a claimed timer stays this instance's (default 60 s; more than `fireTimeoutMs`). */
  readonly leaseMs?: number;
  /** LISTEN for the trigger's NOTIFY to wake up when a timer is scheduled (default true). */
  readonly listen?: boolean;
}

/** Short sleep when due rows exist but another instance holds them for the moment. */
const MIN_SLEEP_MS = 10;
const LISTEN_RETRY_MS = 5000;

/**
 * Fires due timers straight from `<schema>.timers`: claims batches with FOR UPDATE SKIP LOCKED (so
 * instances share the work and never take the same timer), fires them on up to `concurrency`
 * slots, and sleeps until the next one is due, at most `maxSleepMs`, or until the trigger's NOTIFY
 * or `schedule` wakes it. A failed firing's row waits out its backoff in the table, so it holds no
 * slot and no memory meanwhile; a firing that hangs holds one slot until `fireTimeoutMs`.
 */
export class PgTimerPoller implements TimerDispatcher {
  private readonly rows: TimerRows;
  private readonly settles: Batcher<SettledFiring, true>;
  private readonly log: Log;
  private readonly retry: RetryPolicy;
  private readonly concurrency: number;
  private readonly batchSize: number;
  private readonly leaseMs: number;
  private readonly fireTimeoutMs: number;
  private readonly maxSleepMs: number;
  private readonly counters = new FireCounters();
  private readonly inFlight = new Set<Promise<void>>();
  private running: Promise<void> | null = null;
  private stopping = false;
  private readonly sleeper = new WakeableSleep();
  /** Set while the loop waits for enough free slots to be worth a claim. */
  private waitingForSlots = false;
  private listener: PoolClient | null = null;
  private listenRetryAt = 0;
  private lastError: string | null = null;

  constructor(private readonly options: PgTimerPollerOptions) {
    this.rows = new TimerRows(options.pool, options.schema);
    this.log = options.log ?? silentLog;
    this.retry = options.retry ?? DEFAULT_RETRY;
    this.concurrency = Math.max(1, options.concurrency ?? 64);
    this.batchSize = Math.max(1, options.batchSize ?? 100);
    this.fireTimeoutMs = options.fireTimeoutMs ?? 30_000;
    this.leaseMs = options.leaseMs ?? 60_000;
    this.maxSleepMs = Math.max(MIN_SLEEP_MS, options.maxSleepMs ?? 1000);
    if (this.leaseMs <= this.fireTimeoutMs) throw new Error('leaseMs must exceed fireTimeoutMs');
    this.settles = new Batcher(
      async (firings) => {
        await this.rows.settle(firings, this.retry);
        return firings.map(() => true as const);
      },
      { maxBatch: 500 },
    );
  }

  async start(): Promise<void> {
    if (this.running) return;
    this.stopping = false;
    this.running = this.loop();
  }

  async stop(): Promise<void> {
    this.stopping = true;
    this.wakeUp();
    await this.running;
    this.running = null;
    await Promise.all([...this.inFlight]);
    await this.unlisten();
  }

  async schedule(timers: readonly ScheduledTimer[]): Promise<void> {
    if (timers.length > 0) this.wakeUp();
  }

  status(): TimerDispatcherStatus {
    const { fired, stale, failed } = this.counters;
    return {
      kind: 'poller',
      running: this.running !== null,
      redis: 'unused',
      lastError: this.lastError,
      fired,
      stale,
      failed,
    };
  }

  private async loop(): Promise<void> {
    let failures = 0;
    while (!this.stopping) {
      try {
        if (this.options.listen !== false) await this.listen();
        const free = this.concurrency - this.inFlight.size;
        if (free < this.slotsWorthAClaim()) {
          this.waitingForSlots = true;
          await this.idle(this.maxSleepMs);
          this.waitingForSlots = false;
          continue;
        }
        const batch = await this.rows.claimDue(Math.min(free, this.batchSize), this.leaseMs);
        failures = 0;
        batch.forEach((timer) => this.launch(timer));
        if (batch.length > 0) continue;
        const ms = await this.rows.msUntilNextDue();
        await this.idle(Math.min(this.maxSleepMs, Math.max(MIN_SLEEP_MS, ms ?? this.maxSleepMs)));
      } catch (err) {
        failures++;
        this.lastError = errorText(err);
        const delay = Math.min(this.retry.baseMs * 2 ** Math.min(failures, 20), this.retry.maxMs);
        this.log.warn({ err, schema: this.options.schema, retryInMs: delay }, 'timer poll failed; retrying');
        await this.idle(delay);
      }
    }
  }

  /** Under load, claims wait for half the slots rather than go one timer at a time. */
  private slotsWorthAClaim(): number {
    return Math.max(1, Math.floor(Math.min(this.batchSize, this.concurrency) / 2));
  }

  private launch(timer: DueTimer): void {
    const firing = (async () => {
      const result = await fireOnce(this.options.fire, timer, this.fireTimeoutMs);
      this.counters.count(result);
      if ('error' in result) {
        this.log.warn(
          { timerId: timer.timerId, attempts: timer.attempts + 1, error: result.error },
          'timer fire failed',
        );
      }
      // Not settled (database away): the lease runs out and the timer is fired again, idempotently.
      await this.settles.submit({ timerId: timer.timerId, firing: result }).catch((err: unknown) => {
        this.lastError = errorText(err);
        this.log.warn({ err, timerId: timer.timerId }, 'timer firing not recorded; it is retried after its lease');
      });
    })().finally(() => {
      this.inFlight.delete(firing);
      if (this.waitingForSlots && this.concurrency - this.inFlight.size >= this.slotsWorthAClaim()) this.wakeUp();
    });
    this.inFlight.add(firing);
  }

  private wakeUp(): void {
    this.sleeper.wakeUp();
  }

  private idle(ms: number): Promise<void> {
    return this.sleeper.sleep(ms, this.stopping);
  }

  /** LISTEN on a connection of its own; without it the poller still polls every `maxSleepMs`. */
  private async listen(): Promise<void> {
    if (this.listener || Date.now() < this.listenRetryAt) return;
    let client: PoolClient | null = null;
    try {
      client = await this.options.pool.connect();
      await client.query(`LISTEN ${timersChannel(this.options.schema)}`);
    } catch (err) {
      client?.release(true);
      this.listenRetryAt = Date.now() + LISTEN_RETRY_MS;
      this.log.warn({ err, schema: this.options.schema }, 'timer poller cannot LISTEN; polling only');
      return;
    }
    const listening = client;
    listening.on('notification', () => this.wakeUp());
    listening.on('error', (err) => {
      if (this.listener !== listening) return;
      this.listener = null;
      listening.release(true);
      this.log.warn({ err, schema: this.options.schema }, 'timer poller lost its LISTEN connection');
    });
    this.listener = listening;
  }

  private async unlisten(): Promise<void> {
    const client = this.listener;
    this.listener = null;
    if (!client) return;
    try {
      await client.query('UNLISTEN *');
      client.release();
    } catch {
      client.release(true);
    }
  }
}
