import { randomUUID } from 'node:crypto';
import { DelayedError, type Job, Queue, Worker } from 'bullmq';
import Redis, { type RedisOptions } from 'ioredis';
import type { Pool } from 'pg';
import { type AttemptRecord, type DeliveryForAttempt, WebhookDeliveries } from '@meridian/read-model/webhooks';
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
  /** Full re-add of the pending deliveries this often; the rebuild marker is probed every second. */
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

type JobData = Record<string, never>;
type DeliveryJob = Job<JobData, string, 'deliver'>;

const WARN_EVERY_MS = 30_000;
/** The lease of an attempt outlasts its timeout by this much (signing, recording). */
const LEASE_MARGIN_MS = 15_000;

/**
 * Sends deliveries through BullMQ (a job per pending delivery, job id = delivery id, holding
 * nothing else), PostgreSQL staying the truth, as the workflow's BullMQ timers do:
 *
 * - Each job reads its delivery and subscription first: a delivery no longer pending is dropped; a
 *   paused or deleted subscription cancels it; one whose earlier delivery of the same ordering key
 *   is still pending waits for it (no attempt counted); a full endpoint (`endpointConcurrency`
 *   attempts in flight) puts it off briefly, so a slow or dead endpoint holds at most that many of
 *   the worker's `concurrency` slots.
 * - An attempt takes a lease on the row (no second attempt of the same delivery while one is in
 *   flight, even if Redis lost the job and it was added again), checks the target again (SSRF), signs
 *   and POSTs, then records the attempt and the new state in one statement. A 2xx is recorded as
 *   `succeeded` before the job completes, and a job finding the delivery succeeded does nothing:
 *   a receiver that answered 2xx gets the delivery again only if this process dies (or PostgreSQL
 *   fails) between its answer and that commit — receivers deduplicate by `webhook-id`.
 * - Redis is rebuilt from the pending rows at start, whenever Redis comes back after an error, when
 *   the marker key a rebuild writes is gone (FLUSHALL, a Redis restarted empty) and every
 *   `reconcileMs`; job ids deduplicate.
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
  private queue: Queue<JobData, string, 'deliver'> | null = null;
  private worker: Worker<JobData, string, 'deliver'> | null = null;
  private monitor: Redis | null = null;
  private reconciling: Promise<void> | null = null;
  private stopping = false;
  private wake: (() => void) | null = null;
  private redis: 'up' | 'down' = 'down';
  private needRebuild = true;
  private lastRebuildAt = 0;
  private lastError: string | null = null;
  private lastWarnAt = 0;
  /** Rebuilds done since start (for tests and logs). */
  rebuilds = 0;

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

  status(): { readonly redis: 'up' | 'down'; readonly lastError: string | null; readonly rebuilds: number } {
    return { redis: this.redis, lastError: this.lastError, rebuilds: this.rebuilds };
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

  /** Rebuilds when asked to, when the marker is gone, or when the period ran out. */
  private async reconcile(): Promise<void> {
    const queue = this.queue;
    const monitor = this.monitor;
    if (!queue || !monitor) return;
    const due =
      this.needRebuild ||
      Date.now() - this.lastRebuildAt >= this.options.reconcileMs ||
      (await monitor.exists(this.markerKey)) === 0;
    if (!due) return;
    this.needRebuild = true;
    // Written first: a flush during the rebuild removes it, and the next round rebuilds again.
    await monitor.set(this.markerKey, new Date().toISOString());
    let after: readonly [string, string] | null = null;
    let added = 0;
    for (;;) {
      const page = await this.deliveries.pendingPage(after, 1000);
      if (page.items.length > 0) await this.addJobs(queue, page.items);
      added += page.items.length;
      if (page.items.length < 1000 || !page.after) break;
      after = page.after;
    }
    this.needRebuild = false;
    this.lastRebuildAt = Date.now();
    this.rebuilds++;
    if (added > 0) this.log.info({ queue: this.queueName, pending: added }, 'webhook jobs rebuilt from PostgreSQL');
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
      return await this.later(job, token, Math.min(200 * 2 ** Math.min(job.attemptsStarted, 10), 30_000));
    }
  }

  private async attemptWithSlot(
    job: DeliveryJob,
    token: string | undefined,
    delivery: DeliveryForAttempt,
  ): Promise<string> {
    const slot = randomUUID();
    // A full endpoint: look again a little later (the slot holders take milliseconds to seconds).
    if (!(await this.slots.take(delivery.webhookId, slot))) return await this.postpone(job, token, 200);
    let next: { outcome: 'succeeded' | 'dead' | 'retry'; retryInMs: number };
    try {
      if (!(await this.claims.submit({ id: delivery.id, attempts: delivery.attempts }))) {
        return await this.postpone(job, token, 200);
      }
      const at = new Date();
      const result = await this.attempt(delivery, at);
      next = this.nextStep(delivery, result);
      const recorded = await this.records.submit({
        deliveryId: delivery.id,
        attemptsBefore: delivery.attempts,
        at,
        durationMs: result.durationMs,
        responseStatus: result.status,
        error: result.error,
        ...next,
      });
      if (!recorded) return 'superseded';
    } finally {
      await this.slots.release(delivery.webhookId, slot);
    }
    this.counters[next.outcome === 'succeeded' ? 'succeeded' : 'failed']++;
    if (next.outcome === 'dead') this.counters.dead++;
    if (next.outcome !== 'retry') return next.outcome;
    return await this.later(job, token, next.retryInMs);
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

  /** One attempt: the SSRF check (no connection when refused), the signature, the POST. */
  private async attempt(delivery: DeliveryForAttempt, at: Date): Promise<HttpOutcome> {
    this.counters.attempts++;
    const target = await resolveTarget(delivery.url, this.options.policy, this.options.lookup);
    if (!target.ok) {
      this.counters.refused++;
      return { status: null, error: `target refused: ${target.reason}`, durationMs: 0 };
    }
    let secrets: string[];
    try {
      secrets = [delivery.sealedSecret, ...(delivery.previousSealedSecret ? [delivery.previousSealedSecret] : [])].map(
        (sealed) => openSecret(this.options.secretsKey, sealed),
      );
    } catch {
      return { status: null, error: 'the signing secret does not open with SECRETS_KEY', durationMs: 0 };
    }
    const timestamp = Math.floor(at.getTime() / 1000);
    return postOnce({
      url: target.url,
      vetted: target,
      body: delivery.body,
      timeoutMs: this.options.timeoutMs,
      maxResponseBytes: this.options.maxResponseBytes ?? 64 * 1024,
      headers: {
        'content-type': 'application/json',
        'user-agent': DELIVERY_USER_AGENT,
        'webhook-id': delivery.id,
        'webhook-timestamp': String(timestamp),
        'webhook-signature': signatureHeader(secrets, delivery.id, timestamp, delivery.body),
      },
    });
  }

  /** Puts the job off without an attempt; a little jitter keeps postponed jobs from moving in step. */
  private postpone(job: DeliveryJob, token: string | undefined, ms: number): Promise<never> {
    this.counters.postponed++;
    return this.later(job, token, ms + Math.floor(Math.random() * 100));
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
