import { randomUUID } from 'node:crypto';
import { DelayedError, type Job, Queue, Worker } from 'bullmq';
import Redis, { type RedisOptions } from 'ioredis';
import type { Pool } from 'pg';
import {
  type AttemptRecord,
  type DeliveryForAttempt,
  type PendingPage,
  WebhookDeliveries,
} from '@meridian/read-model/webhooks';
import { Batcher, type Log, openSecret, settleWithin, silentLog } from '@meridian/shared/util';
import { EndpointSlots } from './endpoint-slots';
import { type HttpOutcome, postOnce } from './http-attempt';
import { afterFailure, maxAttempts, type RetrySchedule } from './retry-schedule';
import { signatureHeader } from './signature';
import { type LookupAll, resolveTarget, type TargetPolicy } from './target-guard';

export interface DispatcherOptions {
  readonly pool: Pool;
  /** `redis://host:port/db`. */
  readonly redisUrl: string;
  /** Key prefix in Redis (default `meridian`). */
  readonly prefix?: string;
  /** BullMQ queue name (default `webhooks`). */
  readonly queueName?: string;
  /** Attempts in flight per instance. */
  readonly concurrency: number;
  /** Attempts in flight per subscription, across instances. */
  readonly endpointConcurrency: number;
  readonly timeoutMs: number;
  readonly schedule: RetrySchedule;
  /**
   * This often, the pending deliveries due within two periods (and those due since the last pass) are
   * added again; all of them only at start, after Redis came back and when the rebuild marker is gone
   * (probed every second).
   */
  readonly reconcileMs: number;
  /** The 32-byte SECRETS_KEY that opens the sealed signing secrets. */
  readonly secretsKey: Buffer;
  readonly policy: TargetPolicy;
  readonly lookup?: LookupAll;
  readonly maxResponseBytes?: number;
  readonly log?: Log;
}

/** What the dispatcher did since start; a benchmark reads them. */
export class DeliveryCounters {
  /** HTTP attempts made (refused targets included). */
  attempts = 0;
  succeeded = 0;
  /** Failed attempts (a delivery that is retried counts once per failure). */
  failed = 0;
  dead = 0;
  /** Attempts refused by the SSRF guard (no connection made). */
  refused = 0;
  cancelled = 0;
  /** Jobs put off without an attempt: an earlier delivery of the key, a full endpoint, an attempt in flight. */
  postponed = 0;
}

export const DELIVERY_USER_AGENT = 'Meridian-Webhooks/1';

interface JobData {
  /** Times the job was put off without an attempt since it last had a slot (its backoff grows). */
  readonly postponed?: number;
  /** An outcome a receiver answered that PostgreSQL did not take yet: whichever instance runs the job records it. */
  readonly unrecorded?: Omit<AttemptRecord, 'at'> & { readonly at: string };
}
type DeliveryJob = Job<JobData, string, 'deliver'>;

const WARN_EVERY_MS = 30_000;
/** The lease of an attempt outlasts its timeout by this much (signing, recording). */
const LEASE_MARGIN_MS = 15_000;
/** The longest a name lookup may take at attempt time (and never longer than the attempt's deadline). */
const LOOKUP_TIMEOUT_MS = 5000;
/** The first postponement; each further one of the same job doubles, up to the attempt timeout. */
const POSTPONE_BASE_MS = 200;
/** Outcomes answered by a receiver but not recorded yet (PostgreSQL away) kept at most. */
const MAX_UNRECORDED = 10_000;
/** Jobs of one endpoint remembered as waiting for its slot, at most. */
const MAX_WAITING_PER_ENDPOINT = 1000;
/** Job ids to add again at the next pass (their job failed) kept at most; past it, a full rebuild. */
const MAX_READD = 10_000;

/** Retry delay of a job whose step failed (database or Redis away): 200 ms doubling to 30 s. */
const backoffMs = (job: DeliveryJob): number => Math.min(200 * 2 ** Math.min(job.attemptsStarted, 10), 30_000);

/**
 * Sends deliveries through BullMQ (a job per pending delivery, job id = delivery id, holding
 * nothing else), PostgreSQL staying the truth, as the workflow's BullMQ timers do:
 *
 * - Each job reads its delivery and subscription first: a delivery no longer pending is dropped; a
 *   paused or deleted subscription cancels it; one whose earlier delivery of the same ordering key
 *   is still pending waits for it (no attempt counted); a full endpoint (`endpointConcurrency`
 *   attempts in flight) puts it off briefly, so a slow or dead endpoint holds at most that many of
 *   the worker's `concurrency` slots.
 *   Each postponement of the same job waits twice as long as the one before (200 ms up to the attempt
 *   timeout, with jitter), so a hung endpoint with thousands pending does not keep polling Redis and
 *   PostgreSQL; the count starts over once the job has a slot. A slot given back wakes the job of
 *   this process that has waited longest for that endpoint, so a busy endpoint's slots do not stand
 *   idle while its jobs back off.
 * - An attempt takes a lease on the row (no second attempt of the same delivery while one is in
 *   flight, even if Redis lost the job and it was added again), checks the target again (SSRF, the
 *   name lookup bounded within the attempt's deadline), signs and POSTs, then records the attempt and
 *   the new state in one statement. A 2xx is recorded as `succeeded` before the job completes, and a
 *   job finding the delivery succeeded does nothing. When the record fails (PostgreSQL away), the
 *   outcome stays in this process's memory and the job comes back to record it again, with backoff,
 *   instead of claiming and POSTing again (the outcome travels in the job's data too, so another
 *   instance running the job records it as well). So a receiver that answered 2xx gets the delivery a
 *   second time only if this process dies between its answer and the commit of that record;
 *   receivers deduplicate by `webhook-id`.
 * - Redis is rebuilt from all the pending rows at start, whenever Redis comes back after an error and
 *   when the marker key a rebuild writes is gone (FLUSHALL, a Redis restarted empty). Every
 *   `reconcileMs` a lighter pass adds the deliveries due within the next two periods or since the
 *   last pass, and those whose job failed; job ids deduplicate.
 */
export class DeliveryDispatcher {
  readonly counters = new DeliveryCounters();
  private readonly deliveries: WebhookDeliveries;
  private readonly log: Log;
  private readonly prefix: string;
  private readonly queueName: string;
  private readonly markerKey: string;
  private readonly slots: EndpointSlots;
  /** The jobs' statements, batched across the attempts in flight: one round trip serves many jobs. */
  private readonly lookups: Batcher<string, DeliveryForAttempt | null>;
  private readonly claims: Batcher<{ readonly id: string; readonly attempts: number }, boolean>;
  private readonly records: Batcher<AttemptRecord, boolean>;
  /** Outcomes a receiver answered that PostgreSQL did not take yet, by delivery id (oldest first). */
  private readonly unrecorded = new Map<string, AttemptRecord>();
  /** Jobs of this process put off because their endpoint was full, by subscription, oldest first. */
  private readonly waiting = new Map<string, Set<string>>();
  /** Deliveries whose job failed (so is gone): added again at the next pass. */
  private readonly readd = new Set<string>();
  private queue: Queue<JobData, string, 'deliver'> | null = null;
  private worker: Worker<JobData, string, 'deliver'> | null = null;
  private monitor: Redis | null = null;
  private reconciling: Promise<void> | null = null;
  private stopping = false;
  private wake: (() => void) | null = null;
  private redis: 'up' | 'down' = 'down';
  private needRebuild = true;
  private lastPassAt = 0;
  private lastError: string | null = null;
  private lastWarnAt = 0;
  /** Full rebuilds done since start (for tests and logs). */
  rebuilds = 0;
  /** Periodic passes (due deliveries only) done since start. */
  passes = 0;

  constructor(private readonly options: DispatcherOptions) {
    this.deliveries = new WebhookDeliveries(options.pool);
    this.log = options.log ?? silentLog;
    this.prefix = options.prefix ?? 'meridian';
    this.queueName = options.queueName ?? 'webhooks';
    this.markerKey = `${this.prefix}:webhooks-rebuilt:${this.queueName}`;
    this.slots = new EndpointSlots(
      () => (this.redis === 'up' ? this.monitor : null),
      this.prefix,
      options.endpointConcurrency,
      options.timeoutMs + LEASE_MARGIN_MS,
    );
    const batch = { maxBatch: 200, maxInFlight: 2 };
    this.lookups = new Batcher(async (ids) => {
      const found = await this.deliveries.forAttempts(ids);
      return ids.map((id) => found.get(id) ?? null);
    }, batch);
    this.claims = new Batcher(async (claims) => {
      const claimed = await this.deliveries.claimMany(claims, options.timeoutMs + LEASE_MARGIN_MS);
      return claims.map((c) => claimed.has(c.id));
    }, batch);
    this.records = new Batcher(async (records) => {
      const recorded = await this.deliveries.recordMany(records);
      return records.map((r) => recorded.has(r.deliveryId));
    }, batch);
  }

  async start(): Promise<void> {
    if (this.reconciling) return;
    this.stopping = false;
    this.needRebuild = true;
    const connection = { url: this.options.redisUrl, retryStrategy: (n: number) => Math.min(100 * 2 ** n, 2000) };
    this.monitor = this.watchRedis(connection);
    this.queue = new Queue<JobData, string, 'deliver'>(this.queueName, {
      connection: { ...connection, maxRetriesPerRequest: 1 },
      prefix: this.prefix,
      defaultJobOptions: { removeOnComplete: true, removeOnFail: true },
    });
    this.queue.on('error', (err) => this.warnThrottled(err, 'webhook queue error'));
    this.worker = new Worker<JobData, string, 'deliver'>(this.queueName, (job, token) => this.process(job, token), {
      connection: { ...connection },
      prefix: this.prefix,
      concurrency: Math.max(1, this.options.concurrency),
    });
    this.worker.on('error', (err) => this.warnThrottled(err, 'webhook worker error'));
    this.worker.on('failed', (job) => {
      if (!job?.id) return;
      if (this.readd.size >= MAX_READD) {
        this.readd.clear();
        this.needRebuild = true;
      }
      this.readd.add(job.id);
    });
    this.reconciling = this.reconcileLoop();
  }

  async stop(): Promise<void> {
    this.stopping = true;
    this.wake?.();
    await this.reconciling;
    this.reconciling = null;
    const [worker, queue, monitor] = [this.worker, this.queue, this.monitor];
    this.worker = null;
    this.queue = null;
    if (worker && (await settleWithin(this.options.timeoutMs + 5000, worker.close())) === 'timeout') {
      await settleWithin(5000, worker.close(true));
    }
    if (queue) await settleWithin(5000, queue.close());
    this.monitor = null;
    monitor?.disconnect();
    this.redis = 'down';
  }

  status(): {
    readonly redis: 'up' | 'down';
    readonly lastError: string | null;
    readonly rebuilds: number;
    readonly passes: number;
    readonly unrecorded: number;
  } {
    return {
      redis: this.redis,
      lastError: this.lastError,
      rebuilds: this.rebuilds,
      passes: this.passes,
      unrecorded: this.unrecorded.size,
    };
  }

  /**
   * Queues deliveries just recorded (due now). Never throws and waits at most 2 s: a delivery not
   * queued (Redis away) is found by the next reconciliation.
   */
  async enqueue(ids: readonly string[]): Promise<void> {
    const queue = this.queue;
    if (ids.length === 0 || !queue || this.redis !== 'up') return;
    const added = await settleWithin(
      2000,
      this.addJobs(
        queue,
        ids.map((id) => ({ id, dueInMs: 0 })),
      ),
    );
    if (added === 'timeout' || added.status === 'rejected') {
      this.warnThrottled(added === 'timeout' ? new Error('timed out') : added.reason, 'deliveries not queued yet');
    }
  }

  private watchRedis(options: RedisOptions & { url: string }): Redis {
    const { url, ...rest } = options;
    const monitor = new Redis(url, { ...rest, lazyConnect: true, maxRetriesPerRequest: 1 });
    monitor.on('ready', () => {
      if (this.monitor !== monitor) return;
      if (this.lastError !== null) this.log.info({ queue: this.queueName }, 'Redis is back; rebuilding webhook jobs');
      this.redis = 'up';
      this.needRebuild = true;
      this.wake?.();
    });
    monitor.on('error', (err: Error) => {
      if (this.monitor !== monitor) return;
      if (this.redis === 'up' || this.lastError === null) {
        this.log.error({ err: err.message, queue: this.queueName }, 'Redis unreachable; webhook deliveries wait');
      }
      this.redis = 'down';
      this.lastError = err.message;
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
          this.warnThrottled(err, 'webhook reconciliation failed; retrying');
        }
      }
      await this.idle(Math.min(1000, this.options.reconcileMs));
    }
  }

  /**
   * A full rebuild when asked to or when the marker is gone; otherwise, once a period, the deliveries
   * due from a period before the last pass up to two periods ahead, and those whose job failed.
   */
  private async reconcile(): Promise<void> {
    const queue = this.queue;
    const monitor = this.monitor;
    if (!queue || !monitor) return;
    const started = Date.now();
    const periodic = started - this.lastPassAt >= this.options.reconcileMs;
    const full = this.needRebuild || (await monitor.exists(this.markerKey)) === 0;
    if (!full && !periodic) return;
    if (full) {
      this.needRebuild = true;
      // Written first: a flush during the rebuild removes it, and the next round rebuilds again.
      await monitor.set(this.markerKey, new Date().toISOString());
    }
    const readd = [...this.readd];
    this.readd.clear();
    let added = 0;
    try {
      if (!full && readd.length > 0)
        await this.addJobs(
          queue,
          readd.map((id) => ({ id, dueInMs: 0 })),
        );
      const window = full
        ? null
        : { sinceMs: started - this.lastPassAt + this.options.reconcileMs, untilMs: 2 * this.options.reconcileMs };
      added = await this.copyPending(queue, window);
    } catch (err) {
      for (const id of readd) this.readd.add(id);
      throw err;
    }
    this.lastPassAt = started;
    if (full) {
      this.needRebuild = false;
      this.rebuilds++;
      if (added > 0) this.log.info({ queue: this.queueName, pending: added }, 'webhook jobs rebuilt from PostgreSQL');
    } else {
      this.passes++;
    }
  }

  /** Adds the pending deliveries (of the window, or all) as jobs, a page at a time; answers how many. */
  private async copyPending(
    queue: Queue<JobData, string, 'deliver'>,
    window: { readonly sinceMs: number; readonly untilMs: number } | null,
  ): Promise<number> {
    let after: PendingPage['after'] = null;
    let added = 0;
    for (;;) {
      const page = await this.deliveries.pendingPage(after, 1000, window);
      if (page.items.length > 0) await this.addJobs(queue, page.items);
      added += page.items.length;
      if (page.items.length < 1000 || !page.after) break;
      after = page.after;
    }
    return added;
  }

  private async addJobs(
    queue: Queue<JobData, string, 'deliver'>,
    items: readonly { readonly id: string; readonly dueInMs: number }[],
  ): Promise<void> {
    await queue.addBulk(
      items.map((d) => ({
        name: 'deliver' as const,
        data: {},
        opts: { jobId: d.id, delay: Math.max(0, Math.ceil(d.dueInMs)) },
      })),
    );
  }

  private async process(job: DeliveryJob, token: string | undefined): Promise<string> {
    const id = job.id ?? '';
    // The receiver answered already: record that, never POST again.
    const stored = job.data.unrecorded;
    const unrecorded = this.unrecorded.get(id) ?? (stored ? { ...stored, at: new Date(stored.at) } : undefined);
    if (unrecorded) {
      const done = await this.recordAgain(job, token, unrecorded);
      // Not recorded because the delivery moved on (replayed, recorded elsewhere): treated afresh.
      if (done !== 'superseded') return done;
    }
    try {
      const delivery = await this.lookups.submit(id);
      if (!delivery || delivery.state !== 'pending') return 'dropped';
      if (delivery.deleted || delivery.paused) {
        await this.deliveries.cancel(id);
        this.counters.cancelled++;
        return 'cancelled';
      }
      if (delivery.dueInMs > 0) return await this.later(job, token, delivery.dueInMs);
      if (delivery.leaseMs !== null && delivery.leaseMs > 0) return await this.postpone(job, token, delivery.leaseMs);
      // An earlier delivery of the same key goes first: wait until it is due, then look again.
      if (delivery.blockedForMs !== null) {
        return await this.postpone(job, token, Math.max(0, delivery.blockedForMs) + 150);
      }
      return await this.attemptWithSlot(job, token, delivery);
    } catch (err) {
      if (err instanceof DelayedError) throw err;
      this.warnThrottled(err, 'webhook job failed; retrying');
      return await this.later(job, token, backoffMs(job));
    }
  }

  private async attemptWithSlot(
    job: DeliveryJob,
    token: string | undefined,
    delivery: DeliveryForAttempt,
  ): Promise<string> {
    const slot = randomUUID();
    // A full endpoint: look again later, a little later each time it is still full, unless a slot
    // given back in this process wakes the job first.
    if (!(await this.slots.take(delivery.webhookId, slot))) {
      this.waitForSlot(delivery.webhookId, delivery.id);
      return await this.postpone(job, token, 0);
    }
    this.waiting.get(delivery.webhookId)?.delete(delivery.id);
    let record: AttemptRecord;
    let recorded: boolean | { readonly failed: unknown };
    try {
      if (!(await this.claims.submit({ id: delivery.id, attempts: delivery.attempts }))) {
        return await this.postpone(job, token, 0);
      }
      // It had its slot: the next postponement (if any) starts short again.
      if (job.data.postponed) await job.updateData({}).catch(() => undefined);
      const at = new Date();
      const result = await this.attempt(delivery, at);
      record = {
        deliveryId: delivery.id,
        attemptsBefore: delivery.attempts,
        at,
        durationMs: result.durationMs,
        responseStatus: result.status,
        error: result.error,
        ...this.nextStep(delivery, result),
      };
      recorded = await this.records.submit(record).catch((failed: unknown) => ({ failed }));
    } finally {
      await this.slots.release(delivery.webhookId, slot);
      this.wakeOne(delivery.webhookId);
    }
    if (typeof recorded === 'object') {
      this.keepUnrecorded(record);
      // Also with the job, for another instance that might run it next.
      await job.updateData({ unrecorded: { ...record, at: record.at.toISOString() } }).catch(() => undefined);
      this.warnThrottled(recorded.failed, 'webhook attempt not recorded; recording it again (no second request)');
      return await this.later(job, token, backoffMs(job));
    }
    return await this.afterRecord(job, token, record, recorded);
  }

  /** An outcome PostgreSQL did not take: recorded again, with backoff, while the database is away. */
  private async recordAgain(job: DeliveryJob, token: string | undefined, record: AttemptRecord): Promise<string> {
    let recorded: boolean;
    try {
      recorded = await this.records.submit(record);
    } catch (err) {
      this.warnThrottled(err, 'webhook attempt still not recorded; retrying the record');
      return await this.later(job, token, backoffMs(job));
    }
    this.unrecorded.delete(record.deliveryId);
    if (job.data.unrecorded) await job.updateData({}).catch(() => undefined);
    return await this.afterRecord(job, token, record, recorded);
  }

  private waitForSlot(webhookId: string, id: string): void {
    const ids = this.waiting.get(webhookId) ?? new Set<string>();
    if (ids.size < MAX_WAITING_PER_ENDPOINT) ids.add(id);
    this.waiting.set(webhookId, ids);
  }

  /**
   * A slot of `webhookId` was given back: the job that has waited longest for one runs now rather
   * than at the end of its postponement (the others keep backing off). Best effort: a job no longer
   * delayed, or Redis failing, leaves it to its postponement.
   */
  private wakeOne(webhookId: string): void {
    const ids = this.waiting.get(webhookId);
    if (!ids) return;
    const [next] = ids;
    if (next !== undefined) ids.delete(next);
    if (ids.size === 0) this.waiting.delete(webhookId);
    const queue = this.queue;
    if (next === undefined || !queue) return;
    void queue
      .getJob(next)
      .then((job) => job?.promote())
      .catch(() => undefined);
  }

  private keepUnrecorded(record: AttemptRecord): void {
    this.unrecorded.delete(record.deliveryId);
    this.unrecorded.set(record.deliveryId, record);
    if (this.unrecorded.size <= MAX_UNRECORDED) return;
    const [oldest] = this.unrecorded.keys();
    this.unrecorded.delete(oldest);
    this.log.error(
      { queue: this.queueName, deliveryId: oldest },
      'too many unrecorded webhook outcomes; the oldest is forgotten and may be delivered again',
    );
  }

  private async afterRecord(
    job: DeliveryJob,
    token: string | undefined,
    record: AttemptRecord,
    recorded: boolean,
  ): Promise<string> {
    if (!recorded) return 'superseded';
    this.counters[record.outcome === 'succeeded' ? 'succeeded' : 'failed']++;
    if (record.outcome === 'dead') this.counters.dead++;
    if (record.outcome !== 'retry') return record.outcome;
    return await this.later(job, token, record.retryInMs);
  }

  private nextStep(
    delivery: DeliveryForAttempt,
    result: HttpOutcome,
  ): { outcome: 'succeeded' | 'dead' | 'retry'; retryInMs: number } {
    if (result.error === null) return { outcome: 'succeeded', retryInMs: 0 };
    const attempt = delivery.attempts - delivery.attemptsBase + 1;
    if (attempt >= maxAttempts(this.options.schedule)) return { outcome: 'dead', retryInMs: 0 };
    const step = afterFailure(this.options.schedule, attempt);
    return step.kind === 'dead' ? { outcome: 'dead', retryInMs: 0 } : { outcome: 'retry', retryInMs: step.inMs };
  }

  /**
   * One attempt within `timeoutMs`: the SSRF check (no connection when refused; the name lookup takes
   * at most 5 s of the deadline), the signature, the POST with what is left of the deadline.
   */
  private async attempt(delivery: DeliveryForAttempt, at: Date): Promise<HttpOutcome> {
    this.counters.attempts++;
    const started = performance.now();
    const elapsed = (): number => Math.max(0, Math.round(performance.now() - started));
    const target = await resolveTarget(delivery.url, this.options.policy, {
      ...(this.options.lookup ? { lookup: this.options.lookup } : {}),
      timeoutMs: Math.min(this.options.timeoutMs, LOOKUP_TIMEOUT_MS),
    });
    if (!target.ok) {
      if (!target.unresolved) this.counters.refused++;
      if (target.address !== undefined) {
        this.log.warn(
          { queue: this.queueName, deliveryId: delivery.id, address: target.address },
          'webhook target refused: non-public address',
        );
      }
      return { status: null, error: `target refused: ${target.reason}`, durationMs: elapsed() };
    }
    const lookupMs = elapsed();
    let secrets: string[];
    try {
      secrets = [delivery.sealedSecret, ...(delivery.previousSealedSecret ? [delivery.previousSealedSecret] : [])].map(
        (sealed) => openSecret(this.options.secretsKey, sealed),
      );
    } catch {
      return { status: null, error: 'the signing secret does not open with SECRETS_KEY', durationMs: 0 };
    }
    const timestamp = Math.floor(at.getTime() / 1000);
    const outcome = await postOnce({
      url: target.url,
      vetted: target,
      body: delivery.body,
      timeoutMs: Math.max(1, this.options.timeoutMs - lookupMs),
      maxResponseBytes: this.options.maxResponseBytes ?? 64 * 1024,
      headers: {
        'content-type': 'application/json',
        'user-agent': DELIVERY_USER_AGENT,
        'webhook-id': delivery.id,
        'webhook-timestamp': String(timestamp),
        'webhook-signature': signatureHeader(secrets, delivery.id, timestamp, delivery.body),
      },
    });
    return { ...outcome, durationMs: outcome.durationMs + lookupMs };
  }

  /**
   * Puts the job off without an attempt, for at least `minMs`: 200 ms the first time, twice as long
   * each further time up to the attempt timeout. Up to half as much again at random keeps postponed
   * jobs from moving in step.
   */
  private async postpone(job: DeliveryJob, token: string | undefined, minMs: number): Promise<never> {
    this.counters.postponed++;
    const n = job.data.postponed ?? 0;
    const ceiling = Math.max(POSTPONE_BASE_MS, this.options.timeoutMs);
    const ms = Math.max(minMs, Math.min(POSTPONE_BASE_MS * 2 ** Math.min(n, 20), ceiling));
    await job.updateData({ postponed: n + 1 });
    return await this.later(job, token, ms + Math.floor((Math.random() * ms) / 2));
  }

  private async later(job: DeliveryJob, token: string | undefined, ms: number): Promise<never> {
    await job.moveToDelayed(Date.now() + Math.max(1, Math.ceil(ms)), token);
    throw new DelayedError();
  }

  private warnThrottled(err: unknown, message: string): void {
    this.lastError = err instanceof Error ? err.message : String(err);
    if (Date.now() - this.lastWarnAt < WARN_EVERY_MS) return;
    this.lastWarnAt = Date.now();
    this.log.warn({ err: this.lastError, queue: this.queueName }, message);
  }

  private idle(ms: number): Promise<void> {
    if (this.stopping) return Promise.resolve();
    return new Promise((resolve) => {
      const timer = setTimeout(done, ms);
      function done(): void {
        clearTimeout(timer);
        resolve();
      }
      this.wake = done;
    });
  }
}
