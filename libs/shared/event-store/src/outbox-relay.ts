import type { Pool, PoolClient } from 'pg';
import type { RecordedEvent } from '@meridian/shared/decider';
import type { ServiceMetrics } from '@meridian/shared/metrics';
import { type Log, silentLog, sleep } from '@meridian/shared/util';
import { type AllPosition, positionOf } from './all-stream';
import type { PgEventStore } from './pg-event-store';

export interface RelayOptions {
  /** Checkpoint name; one relay per (schema, name) runs at a time across all replicas. */
  readonly name: string;
  readonly batchSize?: number;
  /**
   * Poll delay while `$all` has nothing new (default 100 ms). An append through the same store
   * (same process) wakes the relay at once; the poll finds appends made by other processes.
   */
  readonly idleDelayMs?: number;
  readonly log?: Log;
  /** Where published events are counted; none when absent. */
  readonly metrics?: Pick<ServiceMetrics, 'relay'>;
}

/** How soon a relay woken by an append that it could not see yet looks again. */
const HELD_BACK_RECHECK_MS = 10;

/** How far the outbox is behind the store. */
export interface RelayLag {
  /** Events stored after the relay's checkpoint. */
  readonly unpublished: number;
  /** Age of the oldest of them (database clock); 0 when nothing is waiting. */
  readonly oldestUnpublishedAgeMs: number;
}

/** Publishes a batch; resolves only when the broker acknowledged every message. */
export type Publish = (events: readonly RecordedEvent[]) => Promise<void>;

/**
 * The event store is the outbox: this loop reads `$all` in commit-safe order, publishes, and
 * moves its checkpoint only after the broker acknowledged. A crash between the two republishes
 * the batch (at-least-once); consumers are idempotent by event id.
 */
export class OutboxRelay {
  private running: Promise<void> | null = null;
  private stopping = false;
  private lockClient: PoolClient | null = null;
  private position: AllPosition | null = null;
  /** Published and acknowledged, not yet stored: goes out with the next read (or at stop). */
  private unsaved: AllPosition | null = null;
  /** Set by an append that came while the relay was not waiting: the next wait returns at once. */
  private woken = false;
  private wake: (() => void) | null = null;
  private unsubscribe: (() => void) | null = null;
  private readonly log: Log;
  /** Events published since start; read by benchmarks and health. */
  published = 0;

  constructor(
    private readonly pool: Pool,
    private readonly store: PgEventStore,
    private readonly publish: Publish,
    private readonly options: RelayOptions,
  ) {
    this.log = options.log ?? silentLog;
  }

  start(): void {
    if (this.running) return;
    this.stopping = false;
    this.unsubscribe = this.store.onAppend(() => this.wakeUp());
    this.running = this.loop();
  }

  async stop(): Promise<void> {
    this.stopping = true;
    this.unsubscribe?.();
    this.unsubscribe = null;
    this.wakeUp();
    await this.running;
    this.running = null;
    await this.saveUnsaved().catch((err: unknown) =>
      this.log.warn(
        { err, relay: this.options.name },
        'relay checkpoint not saved at stop; a batch is published again',
      ),
    );
    await this.releaseLock();
  }

  /**
   * Measured from the stored checkpoint, so every replica reports the same lag whichever of them
   * holds the lock, and a relay that is stuck, failing or not running at all shows up as growing age.
   */
  async lag(): Promise<RelayLag> {
    const { count, oldestAgeMs } = await this.store.backlog(this.options.name);
    return { unpublished: count, oldestUnpublishedAgeMs: oldestAgeMs };
  }

  /** Runs until `$all` is drained once; for tests, tools and benchmarks. */
  async drain(): Promise<number> {
    let total = 0;
    for (let n = await this.step(); n > 0; n = await this.step()) total += n;
    return total;
  }

  private async loop(): Promise<void> {
    let failures = 0;
    let woke = false;
    while (!this.stopping) {
      try {
        if (!(await this.holdLock())) {
          await sleep(1000);
          continue;
        }
        const n = await this.step();
        failures = 0;
        // A short batch was everything there was: reading again at once would find nothing. After
        // a wake-up that found nothing (the new event is held back behind an older transaction
        // still open), look again soon rather than at the next poll.
        const idleMs = this.options.idleDelayMs ?? 100;
        if (n < this.batchSize)
          woke = await this.idle(n === 0 && woke ? Math.min(idleMs, HELD_BACK_RECHECK_MS) : idleMs);
      } catch (err) {
        failures++;
        const delay = Math.min(100 * 2 ** failures, 5000);
        this.log.warn({ err, relay: this.options.name, retryInMs: delay }, 'relay step failed; retrying');
        await this.releaseLock();
        await sleep(delay);
      }
    }
  }

  private wakeUp(): void {
    if (this.wake) this.wake();
    else this.woken = true;
  }

  /** Waits until an append wakes the relay (true), or `ms` passed (false). */
  private async idle(ms: number): Promise<boolean> {
    if (this.woken || this.stopping) {
      this.woken = false;
      return true;
    }
    let timer: NodeJS.Timeout | undefined;
    const woken = await new Promise<boolean>((resolve) => {
      this.wake = () => resolve(true);
      timer = setTimeout(() => resolve(false), ms);
    });
    clearTimeout(timer);
    this.wake = null;
    this.woken = false;
    return woken;
  }

  private get batchSize(): number {
    return this.options.batchSize ?? 500;
  }

  /**
   * One read and one publish. The checkpoint of the previous batch is stored by the same statement
   * that reads the next one (one round trip instead of two), so a crash after a publish re-publishes
   * that batch — as it would have before — and an idle relay stores it at its next poll.
   */
  private async step(): Promise<number> {
    // The checkpoint is read and written on the connection that holds the lock: if that session
    // died (and another relay took over), the save fails and this relay stops at once.
    const holder = this.lockClient;
    const via = holder ?? undefined;
    this.position ??= await this.store.loadCheckpoint(this.options.name, via);
    const save = this.unsaved ? { name: this.options.name, position: this.unsaved } : undefined;
    const batch = await this.store.readAll(this.position, this.batchSize, { save, via });
    this.unsaved = null;
    if (batch.length === 0) return 0;
    await this.publish(batch);
    // Lost the lock meanwhile: the next holder starts at the stored checkpoint and publishes this
    // batch again (at-least-once); this relay's progress must not be stored over its work.
    if (this.lockClient !== holder) throw new Error('relay lost its lock while publishing');
    const next = positionOf(batch[batch.length - 1]);
    this.position = next;
    this.unsaved = next;
    this.published += batch.length;
    this.options.metrics?.relay.relayed.inc(batch.length);
    return batch.length;
  }

  private async saveUnsaved(): Promise<void> {
    if (!this.unsaved || !this.lockClient) return;
    await this.store.saveCheckpoint(this.options.name, this.unsaved, this.lockClient);
    this.unsaved = null;
  }

  /** A session advisory lock on a dedicated connection: released if this process dies. */
  private async holdLock(): Promise<boolean> {
    if (this.lockClient) return true;
    const client = await this.pool.connect();
    let locked = false;
    try {
      const { rows } = await client.query<{ locked: boolean }>('SELECT pg_try_advisory_lock(hashtext($1)) AS locked', [
        `meridian.relay.${this.options.name}`,
      ]);
      locked = rows[0].locked;
    } finally {
      if (!locked) client.release();
    }
    if (!locked) return false;
    client.on('error', (err) => {
      // The lock went with the session: stop using it; the loop takes the lock again before going on.
      this.log.error({ err }, 'relay lock connection lost');
      if (this.lockClient === client) {
        this.lockClient = null;
        this.position = null;
        this.unsaved = null;
        client.release(true);
      }
    });
    // A new holding starts from the stored checkpoint, whatever this relay did before it lost the lock.
    this.position = null;
    this.unsaved = null;
    this.lockClient = client;
    this.log.info({ relay: this.options.name }, 'relay holds the outbox lock');
    return true;
  }

  private async releaseLock(): Promise<void> {
    const client = this.lockClient;
    this.lockClient = null;
    this.position = null;
    // Its progress is the lock holder's to store; the next holder starts at the stored checkpoint.
    this.unsaved = null;
    if (!client) return;
    try {
      await client.query('SELECT pg_advisory_unlock(hashtext($1))', [`meridian.relay.${this.options.name}`]);
      client.release();
    } catch {
      client.release(true);
    }
  }
}
