import { DelayedError, type Job, Queue, Worker } from 'bullmq';
import Redis, { type RedisOptions } from 'ioredis';
import { Batcher, type Log, settleWithin, silentLog } from '@meridian/shared/util';
import { assertIdentifier } from '@meridian/shared/event-store';
import type { ScheduledTimer } from './timer.events';
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
import { type LookedUpTimer, type SettledFiring, TimerRows } from './timer-rows';

export interface BullmqTimersOptions extends TimerDispatcherOptions {
  /** `redis://host:port/db`. */
  readonly redisUrl: string;
  /** Key prefix in Redis (default `meridian`); the queue is `timers-<schema>`. */
  readonly prefix?: string;
  /** Period of the reconciliation with `<schema>.timers` (default 5 s). */
  readonly reconcileMs?: number;
  /** A full rebuild at least this often, marker or not (default 5 min). */
  readonly fullRebuildMs?: number;
  /** Rows read and jobs added per round trip while reconciling (default 1000). */
  readonly chunkSize?: number;
  /** Longest wait between two reconnection attempts (default 2 s). */
  readonly reconnectMaxMs?: number;
  /** How long `schedule` may wait for Redis before leaving the timer to the reconciliation (default 2 s). */
  readonly scheduleTimeoutMs?: number;
}

/** What a job carries: nothing but its id (the timer id); the row in PostgreSQL is the truth. */
type JobData = Record<string, never>;
type TimerJob = Job<JobData, string, 'fire'>;

const WARN_EVERY_MS = 30_000;

/**
 * Timers as BullMQ delayed jobs (job id = timer id) in one queue per schema, PostgreSQL staying the
 * source of truth: a job holds only the timer id, and its worker reads the row before firing, so a
 * cancelled or already fired timer is dropped and a job that comes early waits again. Redis is
 * rebuilt from the pending rows (in chunks; job ids deduplicate) on start, when Redis comes back
 * after an error, when the marker key that a rebuild writes is gone (a FLUSHALL, a Redis restarted
 * empty) and every `fullRebuildMs`; in between, every `reconcileMs` adds the rows committed since
 * the last look (a `schedule` call lost to a crash or an outage). Several instances may run at
 * once: BullMQ hands each job to one worker.
 */
export class BullmqTimers implements TimerDispatcher {
  private readonly rows: TimerRows;
  private readonly log: Log;
  private readonly retry: RetryPolicy;
  private readonly queueName: string;
  private readonly markerKey: string;
  private readonly counters = new FireCounters();
  private readonly lookups: Batcher<string, LookedUpTimer | null>;
  private readonly settles: Batcher<SettledFiring, number | null>;
  private queue: Queue<JobData, string, 'fire'> | null = null;
  private worker: Worker<JobData, string, 'fire'> | null = null;
  private monitor: Redis | null = null;
  private reconciling: Promise<void> | null = null;
  private stopping = false;
  private readonly sleeper = new WakeableSleep();
  private redis: 'up' | 'down' = 'down';
  private needFullRebuild = true;
  private lastFullRebuildAt = 0;
  /** `xmin` of the last reconciliation's first page: rows of later transactions are new to it. */
  private watermark: string | null = null;
  private lastError: string | null = null;
  private lastWarnAt = 0;

  constructor(private readonly options: BullmqTimersOptions) {
    const schema = assertIdentifier(options.schema);
    const prefix = options.prefix ?? 'meridian';
    this.rows = new TimerRows(options.pool, schema);
    this.log = options.log ?? silentLog;
    this.retry = options.retry ?? DEFAULT_RETRY;
    this.queueName = `timers-${schema}`;
    this.markerKey = `${prefix}:timers-rebuilt:${schema}`;
    this.lookups = new Batcher(
      async (ids) => {
        const found = await this.rows.lookup(ids);
        return ids.map((id) => found.get(id) ?? null);
      },
      { maxBatch: 500, maxInFlight: 2 },
    );
    this.settles = new Batcher(
      async (firings) => {
        const retries = await this.rows.settle(firings, this.retry);
        return firings.map((f) => retries.get(f.timerId) ?? null);
      },
      { maxBatch: 500 },
    );
  }

  async start(): Promise<void> {
    if (this.reconciling) return;
    this.stopping = false;
    this.needFullRebuild = true;
    this.watermark = null;
    const prefix = this.options.prefix ?? 'meridian';
    const connection = { url: this.options.redisUrl, retryStrategy: (n: number) => this.reconnectDelay(n) };
    this.monitor = this.watchRedis(connection);
    this.queue = new Queue<JobData, string, 'fire'>(this.queueName, {
      // Fails a command after one reconnection attempt instead of queueing it for the outage.
      connection: { ...connection, maxRetriesPerRequest: 1 },
      prefix,
      defaultJobOptions: { removeOnComplete: true, removeOnFail: true },
    });
    this.queue.on('error', (err) => this.warnThrottled(err, 'timer queue error'));
    this.worker = new Worker<JobData, string, 'fire'>(this.queueName, (job, token) => this.process(job, token), {
      connection: { ...connection },
      prefix,
      concurrency: Math.max(1, this.options.concurrency ?? 64),
    });
    this.worker.on('error', (err) => this.warnThrottled(err, 'timer worker error'));
    this.reconciling = this.reconcileLoop();
  }

  async stop(): Promise<void> {
    this.stopping = true;
    this.wakeUp();
    await this.reconciling;
    this.reconciling = null;
    const [worker, queue, monitor] = [this.worker, this.queue, this.monitor];
    this.worker = null;
    this.queue = null;
    this.monitor = null;
    // Closing waits for the jobs in flight; against an unreachable Redis it gives up and forces.
    if (worker && (await settleWithin(this.fireTimeoutMs() + 5000, worker.close())) === 'timeout') {
      await settleWithin(5000, worker.close(true));
    }
    if (queue) await settleWithin(5000, queue.close());
    monitor?.disconnect();
    this.redis = 'down';
  }

  async schedule(timers: readonly ScheduledTimer[]): Promise<void> {
    const queue = this.queue;
    // Redis away: the rebuild when it is back adds these from their rows.
    if (timers.length === 0 || !queue || this.redis !== 'up') return;
    const now = Date.now();
    const jobs = timers.map((t) => ({ timerId: t.timerId, dueInMs: t.dueAt.getTime() - now }));
    const added = await settleWithin(this.options.scheduleTimeoutMs ?? 2000, this.addJobs(queue, jobs));
    if (added === 'timeout' || added.status === 'rejected') {
      this.warnThrottled(
        added === 'timeout' ? new Error('timed out') : added.reason,
        'timers not queued; reconcile adds them',
      );
    }
  }

  status(): TimerDispatcherStatus {
    const { fired, stale, failed } = this.counters;
    return {
      kind: 'bullmq',
      running: this.reconciling !== null,
      redis: this.redis,
      lastError: this.lastError,
      fired,
      stale,
      failed,
    };
  }

  /** Reconnects with a capped backoff, forever: the service keeps running, and reports Redis as down. */
  private reconnectDelay(attempt: number): number {
    return Math.min(100 * 2 ** Math.min(attempt, 20), this.options.reconnectMaxMs ?? 2000);
  }

  /** A client of its own tells up from down, and asks for a rebuild whenever Redis is (back) up. */
  private watchRedis(options: RedisOptions & { url: string }): Redis {
    const { url, ...rest } = options;
    const monitor = new Redis(url, { ...rest, lazyConnect: true, maxRetriesPerRequest: 1 });
    monitor.on('ready', () => {
      if (this.monitor !== monitor) return;
      if (this.lastError !== null) this.log.info({ queue: this.queueName }, 'Redis is back; rebuilding timer jobs');
      this.redis = 'up';
      this.needFullRebuild = true;
      this.wakeUp();
    });
    monitor.on('error', (err: Error) => {
      if (this.monitor !== monitor) return;
      if (this.redis === 'up' || this.lastError === null) {
        this.log.error({ err, queue: this.queueName }, 'Redis unreachable; timers wait for it (retrying)');
      }
      this.redis = 'down';
      this.lastError = errorText(err);
    });
    monitor.on('close', () => {
      if (this.monitor === monitor) this.redis = 'down';
    });
    monitor.connect().catch(() => undefined);
    return monitor;
  }

  private async reconcileLoop(): Promise<void> {
    while (!this.stopping) {
      if (this.redis === 'up') {
        try {
          await this.reconcile();
        } catch (err) {
          this.lastError = errorText(err);
          this.log.warn({ err, queue: this.queueName }, 'timer reconciliation failed; retrying');
        }
      }
      await this.idle(this.options.reconcileMs ?? 5000);
    }
  }

  private async reconcile(): Promise<void> {
    const queue = this.queue;
    const monitor = this.monitor;
    if (!queue || !monitor) return;
    const full =
      this.needFullRebuild ||
      this.watermark === null ||
      Date.now() - this.lastFullRebuildAt >= (this.options.fullRebuildMs ?? 300_000) ||
      (await monitor.exists(this.markerKey)) === 0;
    if (!full) {
      await this.copyPending(queue, this.watermark);
      return;
    }
    this.needFullRebuild = true;
    // Written first: a flush during the rebuild removes it, and the next round rebuilds again.
    await monitor.set(this.markerKey, new Date().toISOString());
    const added = await this.copyPending(queue, null);
    this.needFullRebuild = false;
    this.lastFullRebuildAt = Date.now();
    this.log.info({ queue: this.queueName, pending: added }, 'timer jobs rebuilt from PostgreSQL');
  }

  /** Adds the pending rows (of transactions from `sinceXid` on) as jobs, a chunk at a time. */
  private async copyPending(queue: Queue<JobData, string, 'fire'>, sinceXid: string | null): Promise<number> {
    const chunk = this.options.chunkSize ?? 1000;
    let after: string | null = null;
    let watermark: string | null = null;
    let added = 0;
    for (;;) {
      const page = await this.rows.pendingPage(after, chunk, sinceXid);
      watermark ??= page.xmin;
      if (page.timers.length > 0) await this.addJobs(queue, page.timers);
      added += page.timers.length;
      if (page.timers.length < chunk) break;
      after = page.timers[page.timers.length - 1].timerId;
    }
    this.watermark = watermark;
    return added;
  }

  private async addJobs(
    queue: Queue<JobData, string, 'fire'>,
    timers: readonly { readonly timerId: string; readonly dueInMs: number }[],
  ): Promise<void> {
    await queue.addBulk(
      timers.map((t) => ({
        name: 'fire' as const,
        data: {},
        opts: { jobId: t.timerId, delay: Math.max(0, Math.ceil(t.dueInMs)) },
      })),
    );
  }

  /**
   * One job: read the row, drop it unless pending, wait again if not yet due by the database's
   * clock, fire, record. A failure (of `fire` or of the database) puts the job back as delayed
   * for its backoff, so BullMQ's own attempts never run out and the row keeps its place in Redis.
   */
  private async process(job: TimerJob, token: string | undefined): Promise<string> {
    const timerId = job.id ?? '';
    try {
      const row = await this.lookups.submit(timerId);
      if (!row || row.state !== 'pending') return 'dropped';
      if (row.dueInMs > 0) return await this.later(job, token, row.dueInMs);
      const firing = await fireOnce(this.options.fire, row.timer, this.fireTimeoutMs());
      this.counters.count(firing);
      const retryInMs = await this.settles.submit({ timerId, firing });
      if ('error' in firing) {
        this.log.warn({ timerId, attempts: row.timer.attempts + 1, error: firing.error }, 'timer fire failed');
        return await this.later(job, token, retryInMs ?? this.retry.baseMs);
      }
      return firing.outcome;
    } catch (err) {
      if (err instanceof DelayedError) throw err;
      this.lastError = errorText(err);
      this.warnThrottled(err, 'timer job failed; retrying');
      const delay = Math.min(this.retry.baseMs * 2 ** Math.min(job.attemptsStarted, 20), this.retry.maxMs);
      return await this.later(job, token, delay);
    }
  }

  private async later(job: TimerJob, token: string | undefined, ms: number): Promise<never> {
    await job.moveToDelayed(Date.now() + Math.max(1, Math.ceil(ms)), token);
    throw new DelayedError();
  }

  private fireTimeoutMs(): number {
    return this.options.fireTimeoutMs ?? 30_000;
  }

  /** Errors BullMQ repeats while Redis is away: recorded each time, logged now and then. */
  private warnThrottled(err: unknown, message: string): void {
    this.lastError = errorText(err);
    if (Date.now() - this.lastWarnAt < WARN_EVERY_MS) return;
    this.lastWarnAt = Date.now();
    this.log.warn({ err, queue: this.queueName }, message);
  }

  private wakeUp(): void {
    this.sleeper.wakeUp();
  }

  private idle(ms: number): Promise<void> {
    return this.sleeper.sleep(ms, this.stopping);
  }
}
