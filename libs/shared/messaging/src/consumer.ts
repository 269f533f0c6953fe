import type { Consumer, KafkaMessage } from 'kafkajs';
import { dlqTopic, type Envelope, fromWire, MeridianHeaders, type WireMessage } from '@meridian/contracts/core';
import type { ConsumerMetrics } from '@meridian/shared/metrics';
import { backoff, type Log, settleWithin, sleep } from '@meridian/shared/util';
import type { MessageBus } from './bus';
import { classifyFailure, failureCode, type FailureKind } from './failures';
import { type ReceivedTiming, TIMING_HEADER, timingNow } from './timing';
import { consuming, consumingBatch, noteDeadLettered, noteFailedAttempt, withActiveTraceparent } from './trace-context';

/** Where a consumed message came from; handlers use it for offset-based idempotency. */
export interface Origin {
  readonly topic: string;
  readonly partition: number;
  readonly offset: string;
  /** Only on a message carrying a timing header (a timed request or its reply); see `timing.ts`. */
  readonly timing?: ReceivedTiming;
}

export interface SubscribeOptions {
  readonly groupId: string;
  readonly topics: readonly string[];
  readonly fromBeginning?: boolean;
  /**
   * Attempts before a message whose handler fails with an unrecognised error (a `bug`, see
   * `classifyFailure`) goes to the DLQ. Default 10 (about 40 s of backoff). Infrastructure
   * (`transient`) failures are retried until they pass whatever this says; poison and data
   * failures are dead-lettered at once.
   */
  readonly maxAttempts?: number;
  /** Partitions handled in parallel (order is kept within a partition, i.e. per key). Default 1. */
  readonly concurrency?: number;
  /**
   * false: a message that cannot be handled is logged and skipped instead of parked in
   * `<topic>.dlq` (per-instance topics such as reply topics have no DLQ).
   */
  readonly deadLetter?: boolean;
  /** false: never commit offsets, so every start reads from the beginning (in-memory directories). */
  readonly commitOffsets?: boolean;
  /**
   * `runBatch` only: a record whose headers this refuses is passed over before it is decoded (its
   * offset is committed with the batch): for consumers that want a cheap subset of a busy topic.
   */
  readonly accept?: (headers: Readonly<Record<string, string>>) => boolean;
  readonly log: Log;
}

export type MessageHandler = (envelope: Envelope, origin: Origin) => Promise<void>;
export type BatchWork<T> = (items: readonly T[], origins: readonly Origin[]) => Promise<void>;

export const toWireMessage = (m: KafkaMessage): WireMessage => {
  const headers: Record<string, string> = {};
  for (const [k, v] of Object.entries(m.headers ?? {})) {
    if (v !== undefined) headers[k] = Array.isArray(v) ? String(v[0]) : String(v);
  }
  return { key: m.key ? m.key.toString() : null, value: m.value ?? Buffer.alloc(0), headers };
};

const DEFAULT_MAX_ATTEMPTS = 10;
/** Heartbeats while a message waits: well inside the 30 s session timeout. */
const HEARTBEAT_EVERY_MS = 2000;

/**
 * A consumer that is safe to run forever. Each failure is classified once (`classifyFailure`):
 * poison and data failures are parked in `<topic>.dlq` with the error in headers and consumption
 * goes on; infrastructure failures are retried with backoff until they pass (heartbeats keep the
 * group membership meanwhile); unrecognised errors get `maxAttempts`. The offset is committed only
 * after the message was handled or parked (at-least-once).
 */
export class Subscription {
  private readonly consumer: Consumer;
  private stopping = false;
  /** Lag, messages and dead letters of this group; none when the bus has no metrics. */
  private readonly metrics: ConsumerMetrics | undefined;

  constructor(
    private readonly bus: MessageBus,
    private readonly options: SubscribeOptions,
  ) {
    this.consumer = bus.newConsumer(options.groupId);
    this.metrics = bus.config.metrics?.consumer(options.groupId);
  }

  async run(handler: MessageHandler): Promise<void> {
    await this.connect();
    await this.consumer.run({
      autoCommit: this.options.commitOffsets ?? true,
      partitionsConsumedConcurrently: this.options.concurrency ?? 1,
      eachMessage: async ({ topic, partition, message, heartbeat }) => {
        const origin = originOf(topic, partition, message);
        const traced = { ...origin, groupId: this.options.groupId, headers: message.headers };
        await consuming(traced, () =>
          whileBeating(heartbeat, () =>
            this.withRetry(
              origin,
              message,
              async () => handler(withActiveTraceparent(fromWire(toWireMessage(message))), origin),
              heartbeat,
            ),
          ),
        );
      },
    });
  }

  /**
   * Pipelined keyed consumption (request topics). kafkajs fetches stop-and-wait: it fetches, waits
   * until every batch of that fetch is handled, then fetches again, so under load every command
   * waits for the slowest command fetched before it. Here each message goes to the lane of its key
   * and `eachBatch` returns at once: the next fetch overlaps the handling. Per key, order holds.
   * Per partition, the committed offset is the low watermark — the lowest offset not yet handled
   * (or parked) — so a crash redelivers whatever was unfinished and never skips it. At most
   * `maxInFlight` messages per partition are held in lanes; past that `eachBatch` waits (bounded
   * memory, and the same stop-and-wait as before, only later).
   */
  async runPipelined(handler: MessageHandler, maxInFlight = 256): Promise<void> {
    // Partitions taken away by a rebalance are forgotten, so their watermarks are never committed
    // over the new owner's progress; lanes still running for them finish without committing.
    this.consumer.on(this.consumer.events.GROUP_JOIN, ({ payload }) => {
      const assigned: Readonly<Record<string, readonly number[]>> = payload.memberAssignment;
      for (const [id, work] of this.partitions) {
        if (!assigned[work.id.topic]?.includes(work.id.partition)) this.partitions.delete(id);
      }
    });
    await this.connect();
    await this.consumer.run({
      autoCommit: false,
      eachBatchAutoResolve: false,
      partitionsConsumedConcurrently: this.options.concurrency ?? 1,
      eachBatch: async ({ batch, resolveOffset, heartbeat }) => {
        const receivedAt = timingNow();
        const work = this.partitionWork(batch.topic, batch.partition);
        for (const message of batch.messages) {
          while (work.inFlight.size >= maxInFlight && !this.stopping) await work.oneDone();
          // Shutting down: the rest is not taken (not resolved, not committed); it is redelivered.
          if (this.stopping) return;
          const offset = BigInt(message.offset);
          const key = message.key?.toString() ?? `offset:${message.offset}`;
          const origin = originOf(batch.topic, batch.partition, message, receivedAt);
          work.inFlight.add(offset);
          work.next = offset + 1n;
          const lane: Promise<void> = (work.lanes.get(key) ?? Promise.resolve())
            .then(async () => {
              // A lane stopped by a shutdown takes nothing more: order per key holds.
              if (work.stopped.has(key)) throw new Error('lane stopped');
              const envelope = (): Promise<void> =>
                handler(withActiveTraceparent(fromWire(toWireMessage(message))), origin);
              const traced = { ...origin, groupId: this.options.groupId, headers: message.headers };
              await consuming(traced, () => this.withRetry(origin, message, envelope, heartbeat));
              work.inFlight.delete(offset);
            })
            .catch(() => {
              work.stopped.add(key); // only a shutdown ends a retry loop with an error
            })
            .finally(() => {
              if (work.lanes.get(key) === lane) work.lanes.delete(key);
              work.wake();
              this.commitWatermarks();
            });
          work.lanes.set(key, lane);
          resolveOffset(message.offset);
        }
      },
    });
  }

  private readonly partitions = new Map<string, PartitionWork>();
  /** Offset commits a pipelined run has sent (for tests and benchmarks). */
  commitsSent = 0;
  private readonly commit: {
    inFlight: Promise<void> | null;
    /** Asked for while one was in flight; `againNow`: asked for at once (stop). */
    again: boolean;
    againNow: boolean;
    lastAt: number;
    trailing: NodeJS.Timeout | null;
  } = { inFlight: null, again: false, againNow: false, lastAt: 0, trailing: null };

  /** Resolves when no commit is in flight or due again. */
  private async commitsSettled(): Promise<void> {
    while (this.commit.inFlight) await this.commit.inFlight;
  }

  private partitionWork(topic: string, partition: number): PartitionWork {
    const id = `${topic}|${partition}`;
    let work = this.partitions.get(id);
    if (!work) {
      work = new PartitionWork({ topic, partition });
      this.partitions.set(id, work);
    }
    return work;
  }

  /**
   * Commits the low watermark of every partition whose watermark advanced, in one request: one
   * commit in flight per consumer, and at most one per COMMIT_INTERVAL_MS — a completion within
   * the interval leaves a trailing commit for its end. Commits are on no message's path; spacing
   * and merging them saves a broker round trip per message at low load and one per partition under
   * load, and a crash redelivers at most that interval's messages, idempotently. `now` (at stop)
   * commits at once.
   */
  private commitWatermarks(now = false): void {
    if (this.commit.inFlight) {
      this.commit.again = true;
      this.commit.againNow ||= now;
      return;
    }
    const wait = this.commit.lastAt + COMMIT_INTERVAL_MS - Date.now();
    if (!now && wait > 0) {
      if (!this.commit.trailing) {
        this.commit.trailing = setTimeout(() => {
          this.commit.trailing = null;
          this.commitWatermarks();
        }, wait);
        this.commit.trailing.unref();
      }
      return;
    }
    if (this.commit.trailing) clearTimeout(this.commit.trailing);
    this.commit.trailing = null;
    const advanced = [...this.partitions.values()].flatMap((work) => {
      const offset = work.watermark();
      return offset !== null && offset > work.committed ? [{ work, offset }] : [];
    });
    if (advanced.length === 0) return;
    this.commit.lastAt = Date.now();
    this.commitsSent++;
    this.commit.inFlight = this.consumer
      .commitOffsets(advanced.map(({ work, offset }) => ({ ...work.id, offset: offset.toString() })))
      .then(
        () =>
          advanced.forEach(({ work, offset }) => (work.committed = offset > work.committed ? offset : work.committed)),
        // Not a member right now (rebalance, stop): whoever owns a partition next starts at its
        // last committed watermark and handles the rest again, idempotently.
        (err: unknown) =>
          this.options.log.warn({ err: String(err), partitions: advanced.length }, 'offset commit failed'),
      )
      .finally(() => {
        this.commit.inFlight = null;
        if (this.commit.again) {
          const againNow = this.commit.againNow;
          this.commit.again = false;
          this.commit.againNow = false;
          this.commitWatermarks(againNow);
        }
      });
  }

  /**
   * Batch consumption for streams (telemetry). `parse` validates each message; one that fails is
   * dead-lettered on its own. A partition never stalls on a row the database refuses: when the
   * handler fails with a data error (or a bug, after `maxAttempts`), the batch is split in halves
   * and each half handled again, down to single rows, so the good rows are stored and each refused
   * row is dead-lettered alone with its error. Infrastructure failures are retried as they are.
   */
  async runBatch<T>(parse: (envelope: Envelope) => T, handler: BatchWork<T>): Promise<void> {
    await this.connect();
    await this.consumer.run({
      eachBatchAutoResolve: false,
      partitionsConsumedConcurrently: this.options.concurrency ?? 1,
      eachBatch: async ({ batch, resolveOffset, heartbeat, commitOffsetsIfNecessary, isRunning, isStale }) => {
        const rows: Row<T>[] = [];
        const accept = this.options.accept;
        for (const message of batch.messages) {
          const origin = { topic: batch.topic, partition: batch.partition, offset: message.offset };
          try {
            const wire = toWireMessage(message);
            if (accept && !accept(wire.headers)) continue;
            rows.push({ item: parse(fromWire(wire)), origin, message });
          } catch (err) {
            await this.deadLetter(origin, message, err, heartbeat);
          }
        }
        if (!isRunning() || isStale()) return;
        if (rows.length > 0) {
          const budget = { bugRetries: (this.options.maxAttempts ?? DEFAULT_MAX_ATTEMPTS) - 1 };
          const traced = { topic: batch.topic, partition: batch.partition, groupId: this.options.groupId };
          await consumingBatch({ ...traced, messages: rows.map((r) => r.message) }, () =>
            whileBeating(heartbeat, () => this.handleRows(rows, handler, heartbeat, budget)),
          );
        }
        const last = batch.messages[batch.messages.length - 1];
        if (last) resolveOffset(last.offset);
        await commitOffsetsIfNecessary();
        await heartbeat();
      },
    });
  }

  /** Called after each fetched batch is handled (including messages that were skipped or dead-lettered). */
  onBatchDone(listener: (partition: number, lastOffset: string) => void): void {
    this.consumer.on(this.consumer.events.END_BATCH_PROCESS, (e) =>
      listener(e.payload.partition, e.payload.lastOffset),
    );
  }

  async stop(): Promise<void> {
    this.stopping = true;
    // Pipelined lanes finish what they hold (bounded), so their watermarks are committed.
    const lanes = [...this.partitions.values()].flatMap((w) => [...w.lanes.values()]);
    await settleWithin(5000, Promise.allSettled(lanes));
    this.commitWatermarks(true);
    await settleWithin(2000, this.commitsSettled());
    if (this.commit.trailing) clearTimeout(this.commit.trailing);
    if (this.options.commitOffsets !== false) this.bus.config.metrics?.unwatchGroup(this.options.groupId);
    await this.consumer.disconnect();
    this.bus.forget(this.consumer);
  }

  private async connect(): Promise<void> {
    // Per fetched batch, whichever way it is consumed: the lag after it and how many it held.
    const metrics = this.metrics;
    if (metrics) {
      this.consumer.on(this.consumer.events.END_BATCH_PROCESS, ({ payload }) => metrics.batchDone(payload));
      this.consumer.on(this.consumer.events.GROUP_JOIN, ({ payload }) => metrics.assigned(payload.memberAssignment));
    }
    // And the committed lag, read from the brokers at scrape time: it grows while a handler hangs.
    // Groups that never commit (per-process reply topics) are left out: theirs would be everything.
    if (this.options.commitOffsets !== false)
      this.bus.config.metrics?.watchGroup(this.options.groupId, this.options.topics, () => this.bus.admin());
    await this.consumer.connect();
    await this.consumer.subscribe({
      topics: [...this.options.topics],
      fromBeginning: this.options.fromBeginning ?? true,
    });
  }

  /** `heartbeat` keeps the group membership alive while a message waits out a long outage. */
  private async withRetry(
    origin: Origin,
    message: KafkaMessage,
    work: () => Promise<void>,
    heartbeat: () => Promise<void>,
  ): Promise<void> {
    const maxBugAttempts = this.options.maxAttempts ?? DEFAULT_MAX_ATTEMPTS;
    let bugs = 0;
    for (let attempt = 1; ; attempt++) {
      try {
        await work();
        return;
      } catch (err) {
        const kind = classifyFailure(err);
        noteFailedAttempt(err, kind, attempt);
        if (kind === 'poison' || kind === 'data' || (kind === 'bug' && ++bugs >= maxBugAttempts)) {
          await this.deadLetter(origin, message, err, heartbeat, kind);
          return;
        }
        this.throwIfStopping(err);
        const delay = backoff(attempt);
        this.options.log.warn({ err, ...origin, attempt, kind, retryInMs: delay }, 'handler failed; retrying');
        await this.pause(delay, heartbeat);
      }
    }
  }

  /**
   * Hands `rows` to the batch handler; on a data failure (or a bug out of retries) splits them in
   * halves and recurses, so that in the end only the refused rows are dead-lettered, one by one.
   * `budget` is shared by the whole fetched batch: a bug that fails every row is retried once
   * overall, not once per half.
   */
  private async handleRows<T>(
    rows: readonly Row<T>[],
    handler: BatchWork<T>,
    heartbeat: () => Promise<void>,
    budget: { bugRetries: number },
  ): Promise<void> {
    for (let attempt = 1; ; attempt++) {
      try {
        await handler(
          rows.map((r) => r.item),
          rows.map((r) => r.origin),
        );
        return;
      } catch (err) {
        this.throwIfStopping(err);
        const kind = classifyFailure(err);
        const origin = rows[0].origin;
        if (kind === 'transient' || (kind === 'bug' && budget.bugRetries-- > 0)) {
          const delay = backoff(attempt);
          this.options.log.warn(
            { err, ...origin, rows: rows.length, attempt, kind, retryInMs: delay },
            'batch handler failed; retrying',
          );
          await this.pause(delay, heartbeat);
          continue;
        }
        if (rows.length === 1) {
          await this.deadLetter(origin, rows[0].message, err, heartbeat, kind);
          return;
        }
        const half = Math.ceil(rows.length / 2);
        this.options.log.warn(
          { err: String(err), ...origin, rows: rows.length, kind },
          'batch refused; splitting it to find the refused rows',
        );
        await this.handleRows(rows.slice(0, half), handler, heartbeat, budget);
        await this.handleRows(rows.slice(half), handler, heartbeat, budget);
        return;
      }
    }
  }

  /** Waits `ms`, heartbeating, and stops waiting early when the subscription is stopping. */
  private async pause(ms: number, heartbeat: () => Promise<void>): Promise<void> {
    const until = Date.now() + ms;
    for (let left = ms; left > 0 && !this.stopping; left = until - Date.now()) {
      await sleep(Math.min(left, 1000));
      await heartbeat().catch(() => undefined);
    }
  }

  /** While shutting down, give up on the message: its offset stays uncommitted and it is redelivered. */
  private throwIfStopping(err: unknown): void {
    if (this.stopping) throw err;
  }

  /**
   * Parks a message in `<topic>.dlq` with the error in headers. The DLQ send itself is retried
   * until it succeeds: a message is never acknowledged without having been handled or parked.
   */
  private async deadLetter(
    origin: Origin,
    message: KafkaMessage,
    err: unknown,
    heartbeat: () => Promise<void>,
    kind: FailureKind = classifyFailure(err),
  ): Promise<void> {
    const wire = toWireMessage(message);
    const error = err instanceof Error ? err.message : String(err);
    const code = failureCode(err);
    noteDeadLettered(code, kind);
    if (this.options.deadLetter === false) {
      this.options.log.error({ ...origin, error, code, kind }, 'message skipped: it cannot be handled');
      this.metrics?.messageFailed(origin.topic);
      return;
    }
    this.options.log.error({ ...origin, error, code, kind }, 'message sent to the dead-letter topic');
    const letter: WireMessage = {
      key: wire.key,
      value: wire.value,
      headers: {
        ...wire.headers,
        [MeridianHeaders.error]: error.slice(0, 4000),
        [MeridianHeaders.errorCode]: code,
        [MeridianHeaders.originalTopic]: origin.topic,
        [MeridianHeaders.originalPartition]: String(origin.partition),
        [MeridianHeaders.originalOffset]: origin.offset,
      },
    };
    for (let attempt = 1; ; attempt++) {
      try {
        await this.bus.send(dlqTopic(origin.topic), [letter]);
        this.metrics?.messageFailed(origin.topic);
        this.metrics?.deadLettered(origin.topic);
        return;
      } catch (sendErr) {
        this.throwIfStopping(sendErr);
        const delay = backoff(attempt);
        this.options.log.warn(
          { err: sendErr, ...origin, attempt, retryInMs: delay },
          'dead-lettering failed; retrying',
        );
        await this.pause(delay, heartbeat);
      }
    }
  }
}

interface Row<T> {
  readonly item: T;
  readonly origin: Origin;
  readonly message: KafkaMessage;
}

/** The message's origin; with what the consumer saw of it when it carries a timing header. */
function originOf(topic: string, partition: number, message: KafkaMessage, receivedAt?: number): Origin {
  const header = message.headers?.[TIMING_HEADER];
  if (header === undefined) return { topic, partition, offset: message.offset };
  const timing = { header: String(Array.isArray(header) ? header[0] : header), receivedAt: receivedAt ?? timingNow() };
  return { topic, partition, offset: message.offset, timing };
}

/** Runs `work` with a heartbeat every few seconds, so one long call does not cost the group membership. */
async function whileBeating<T>(heartbeat: () => Promise<void>, work: () => Promise<T>): Promise<T> {
  const beat = setInterval(() => void heartbeat().catch(() => undefined), HEARTBEAT_EVERY_MS);
  try {
    return await work();
  } finally {
    clearInterval(beat);
  }
}

/** Pipelined consumers commit at most this often (see `commitWatermarks`). */
const COMMIT_INTERVAL_MS = 100;

/** The pipelined state of one partition: its lanes, the offsets they hold, the commit state. */
class PartitionWork {
  readonly lanes = new Map<string, Promise<void>>();
  readonly inFlight = new Set<bigint>();
  /** Keys whose lane a shutdown ended: nothing more of theirs is taken. */
  readonly stopped = new Set<string>();
  /** The offset after the last message taken. */
  next = -1n;
  committed = -1n;
  private waiters: (() => void)[] = [];

  constructor(readonly id: { readonly topic: string; readonly partition: number }) {}

  /** The lowest offset not yet handled, or the next one when none is held. */
  watermark(): bigint | null {
    if (this.next < 0n) return null;
    let low = this.next;
    for (const o of this.inFlight) if (o < low) low = o;
    return low;
  }

  oneDone(): Promise<void> {
    return new Promise((resolve) => this.waiters.push(resolve));
  }

  wake(): void {
    const waiters = this.waiters;
    this.waiters = [];
    waiters.forEach((w) => w());
  }
}
