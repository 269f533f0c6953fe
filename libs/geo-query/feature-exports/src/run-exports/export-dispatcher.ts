import { DelayedError, type Job, Queue, Worker } from 'bullmq';
import Redis, { type RedisOptions } from 'ioredis';
import type { ExportJobs } from '@meridian/read-model/exports';
import { type Log, settleWithin, silentLog } from '@meridian/shared/util';
import type { ExportRunner, RunnerCounters, StopReason } from './export-runner';

export interface ExportDispatcherOptions {
  /** `redis://host:port/db`. */
  readonly redisUrl: string;
  /** Key prefix in Redis (default `meridian`); the queue is `exports`. */
  readonly prefix?: string;
  /** Exports run at once by this instance. */
  readonly concurrency: number;
  /** A full re-add of the jobs due at least this often. */
  readonly reconcileMs: number;
  /** How often the marker key is looked for (a flushed Redis is rebuilt at once; default min(5 s, reconcileMs)). */
  readonly markerCheckMs?: number;
  /** BullMQ attempts of one job (the row's own count decides when it fails for good). */
  readonly maxAttempts: number;
  /** First retry delay; doubles each attempt. */
  readonly retryBaseMs: number;
  /** BullMQ's lock on an active job and how often stalled jobs are looked for (defaults 30 s each). */
  readonly lockDurationMs?: number;
  readonly stalledIntervalMs?: number;
  /** How long a start waits for Redis before leaving the job to the reconciliation (default 2 s). */
  readonly enqueueTimeoutMs?: number;
  readonly log?: Log;
}

type JobData = Record<string, never>;
type ExportQueueJob = Job<JobData, string, 'export'>;

export interface ExportDispatcherStatus extends RunnerCounters {
  readonly redis: 'up' | 'down';
  readonly lastError: string | null;
  /** Rows written by the runs in progress (so far). */
  readonly inProgress: number;
}

const errorText = (err: unknown): string => (err instanceof Error ? err.message : String(err)).slice(0, 300);
const WARN_EVERY_MS = 30_000;

/**
 * Export jobs as BullMQ jobs (job id = export id) in the `exports` queue, PostgreSQL staying the
 * truth: a job carries nothing but its id, and the worker claims the row before running it (a
 * finished or cancelled row is dropped; one another worker holds waits for the end of its lease).
 * Redis is rebuilt from the rows (queued, or running on a lease that ran out) on start, when Redis
 * comes back after an error, when the marker key a rebuild writes is gone (FLUSHALL, a Redis
 * restarted empty) and every `reconcileMs`: a job recorded while Redis was away, or lost with its
 * data, runs anyway. Job ids deduplicate, so re-adding is harmless.
 */
export class ExportDispatcher {
  private readonly log: Log;
  private readonly markerKey: string;
  private queue: Queue<JobData, string, 'export'> | null = null;
  private worker: Worker<JobData, string, 'export'> | null = null;
  private monitor: Redis | null = null;
  private loop: Promise<void> | null = null;
  private stopping = false;
  private runs = new AbortController();
  private redis: 'up' | 'down' = 'down';
  private needRebuild = true;
  private lastRebuildAt = 0;
  private lastError: string | null = null;
  private lastWarnAt = 0;
  private wake: (() => void) | null = null;

  constructor(
    private readonly jobs: ExportJobs,
    private readonly runner: ExportRunner,
    private readonly options: ExportDispatcherOptions,
  ) {
    this.log = options.log ?? silentLog;
    this.markerKey = `${options.prefix ?? 'meridian'}:exports-rebuilt`;
  }

  async start(): Promise<void> {
    if (this.loop) return;
    this.stopping = false;
    this.needRebuild = true;
    this.runs = new AbortController();
    const prefix = this.options.prefix ?? 'meridian';
    const connection = {
      url: this.options.redisUrl,
      retryStrategy: (n: number) => Math.min(100 * 2 ** Math.min(n, 20), 2000),
    };
    this.monitor = this.watchRedis(connection);
    this.queue = new Queue<JobData, string, 'export'>('exports', {
      // Fails a command after one reconnection attempt instead of queueing it for the outage.
      connection: { ...connection, maxRetriesPerRequest: 1 },
      prefix,
      defaultJobOptions: {
        removeOnComplete: true,
        removeOnFail: true,
        attempts: this.options.maxAttempts,
        backoff: { type: 'exponential', delay: this.options.retryBaseMs },
      },
    });
    this.queue.on('error', (err) => this.warnThrottled(err, 'export queue error'));
    this.worker = new Worker<JobData, string, 'export'>('exports', (job, token) => this.process(job, token), {
      connection: { ...connection },
      prefix,
      concurrency: Math.max(1, this.options.concurrency),
      lockDuration: this.options.lockDurationMs ?? 30_000,
      stalledInterval: this.options.stalledIntervalMs ?? 30_000,
      maxStalledCount: 5,
    });
    this.worker.on('error', (err) => this.warnThrottled(err, 'export worker error'));
    this.loop = this.reconcileLoop();
  }

  /** Graceful: the runs in progress hand their jobs back (queued again, for any instance), then close. */
  async stop(): Promise<void> {
    await this.close('shutdown');
  }

  /**
   * As a crash would: the runs stop where they are and their rows stay `running` on their lease,
   * which another instance takes over once it ran out. For tests of exactly that.
   */
  async kill(): Promise<void> {
    await this.close('killed');
  }

  /** Adds the job to Redis now if it can; false when Redis is away (the reconciliation adds it later). */
  async enqueue(id: string): Promise<boolean> {
    const queue = this.queue;
    if (!queue || this.redis !== 'up') return false;
    const added = await settleWithin(this.options.enqueueTimeoutMs ?? 2000, this.add(queue, [id]));
    if (added === 'timeout' || added.status === 'rejected') {
      this.warnThrottled(
        added === 'timeout' ? new Error('timed out') : added.reason,
        'export not queued; reconcile adds it',
      );
      return false;
    }
    return true;
  }

  status(): ExportDispatcherStatus {
    let inProgress = 0;
    for (const f of this.runner.inProgress.values()) inProgress += f.rows;
    return { ...this.runner.counters, redis: this.redis, lastError: this.lastError, inProgress };
  }

  private async close(reason: StopReason): Promise<void> {
    this.stopping = true;
    this.wake?.();
    this.runs.abort(reason);
    await this.loop;
    this.loop = null;
    const [worker, queue, monitor] = [this.worker, this.queue, this.monitor];
    this.worker = null;
    this.queue = null;
    this.monitor = null;
    if (worker) {
      const force = reason === 'killed';
      if ((await settleWithin(15_000, worker.close(force))) === 'timeout') await settleWithin(5000, worker.close(true));
    }
    if (queue) await settleWithin(5000, queue.close());
    monitor?.disconnect();
    this.redis = 'down';
  }

  private watchRedis(options: RedisOptions & { url: string }): Redis {
    const { url, ...rest } = options;
    const monitor = new Redis(url, { ...rest, lazyConnect: true, maxRetriesPerRequest: 1 });
    monitor.on('ready', () => {
      if (this.monitor !== monitor) return;
      if (this.lastError !== null) this.log.info({}, 'Redis is back; re-adding export jobs');
      this.redis = 'up';
      this.needRebuild = true;
      this.wake?.();
    });
    monitor.on('error', (err: Error) => {
      if (this.monitor !== monitor) return;
      if (this.redis === 'up') this.log.error({ err }, 'Redis unreachable; export jobs wait for it');
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
    const tick = this.options.markerCheckMs ?? Math.min(5000, this.options.reconcileMs);
    while (!this.stopping) {
      if (this.redis === 'up') {
        try {
          await this.reconcile();
        } catch (err) {
          this.warnThrottled(err, 'export reconciliation failed; retrying');
        }
      }
      await this.idle(tick);
    }
  }

  private async reconcile(): Promise<void> {
    const [queue, monitor] = [this.queue, this.monitor];
    if (!queue || !monitor) return;
    const due =
      this.needRebuild ||
      Date.now() - this.lastRebuildAt >= this.options.reconcileMs ||
      (await monitor.exists(this.markerKey)) === 0;
    if (!due) return;
    this.needRebuild = true;
    // Written first: a flush during the rebuild removes it, and the next round rebuilds again.
    await monitor.set(this.markerKey, new Date().toISOString());
    let after: string | undefined;
    let added = 0;
    for (;;) {
      const ids = await this.jobs.dispatchable(500, after);
      if (ids.length > 0) await this.add(queue, ids);
      added += ids.length;
      if (ids.length < 500) break;
      after = ids[ids.length - 1];
    }
    this.needRebuild = false;
    this.lastRebuildAt = Date.now();
    if (added > 0) this.log.info({ jobs: added }, 'export jobs re-added from PostgreSQL');
  }

  private async add(queue: Queue<JobData, string, 'export'>, ids: readonly string[]): Promise<void> {
    await queue.addBulk(ids.map((id) => ({ name: 'export' as const, data: {}, opts: { jobId: id } })));
  }

  /** One job: run the export; a failure worth retrying throws (BullMQ's backoff), a busy row waits for its lease. */
  private async process(job: ExportQueueJob, token: string | undefined): Promise<string> {
    const outcome = await this.runner.run(job.id ?? '', this.runs.signal);
    switch (outcome.outcome) {
      case 'busy':
        await job.moveToDelayed(Math.max(Date.now(), outcome.leaseUntil.getTime()) + 250, token);
        throw new DelayedError();
      case 'retry':
        this.log.warn({ exportId: job.id, code: outcome.code, detail: outcome.detail }, 'export failed; retrying');
        throw new Error(`${outcome.code}: ${outcome.detail}`);
      case 'failed':
        this.log.error({ exportId: job.id, code: outcome.code }, 'export failed');
        return outcome.outcome;
      case 'stopped':
        // Handed back on shutdown: delayed a moment (no attempt spent) for any instance to take.
        if (outcome.reason === 'shutdown') {
          await job.moveToDelayed(Date.now() + 100, token);
          throw new DelayedError();
        }
        return `stopped: ${outcome.reason}`;
      default:
        return outcome.outcome;
    }
  }

  private warnThrottled(err: unknown, message: string): void {
    this.lastError = errorText(err);
    if (Date.now() - this.lastWarnAt < WARN_EVERY_MS) return;
    this.lastWarnAt = Date.now();
    this.log.warn({ err }, message);
  }

  private idle(ms: number): Promise<void> {
    if (this.stopping) return Promise.resolve();
    return new Promise((resolve) => {
      const timer = setTimeout(done, ms);
      function done(): void {
        clearTimeout(timer);
        resolve();
      }
      this.wake = () => {
        this.wake = null;
        done();
      };
    });
  }
}
