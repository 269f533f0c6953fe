import type { Consumer, KafkaMessage } from 'kafkajs';
import { dlqTopic, type Envelope, fromWire, MeridianHeaders, type WireMessage } from '@meridian/contracts';
import { backoff, type Log, sleep } from '@meridian/shared/util';
import { isPoison, type MessageBus } from './bus';

/** Where a consumed message came from; handlers use it for offset-based idempotency. */
export interface Origin {
  readonly topic: string;
  readonly partition: number;
  readonly offset: string;
}

export interface SubscribeOptions {
  readonly groupId: string;
  readonly topics: readonly string[];
  readonly fromBeginning?: boolean;
  /** Attempts before a failing (non-poison) message goes to the DLQ; default: retry until it succeeds. */
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
  readonly log: Log;
}

export type MessageHandler = (envelope: Envelope, origin: Origin) => Promise<void>;
export type BatchHandler<T> = (items: readonly T[], origins: readonly Origin[]) => Promise<void>;

export const toWireMessage = (m: KafkaMessage): WireMessage => {
  const headers: Record<string, string> = {};
  for (const [k, v] of Object.entries(m.headers ?? {})) {
    if (v !== undefined) headers[k] = Array.isArray(v) ? String(v[0]) : String(v);
  }
  return { key: m.key ? m.key.toString() : null, value: m.value ?? Buffer.alloc(0), headers };
};

/**
 * A consumer that is safe to run forever: poison messages are parked in `<topic>.dlq` with the
 * error in headers and consumption goes on; other failures are retried with backoff, and the
 * offset is committed only after the handler succeeded (at-least-once).
 */
export class Subscription {
  private readonly consumer: Consumer;
  private stopping = false;

  constructor(
    private readonly bus: MessageBus,
    private readonly options: SubscribeOptions,
  ) {
    this.consumer = bus.newConsumer(options.groupId);
  }

  async run(handler: MessageHandler): Promise<void> {
    await this.connect();
    await this.consumer.run({
      autoCommit: this.options.commitOffsets ?? true,
      partitionsConsumedConcurrently: this.options.concurrency ?? 1,
      eachMessage: async ({ topic, partition, message, heartbeat }) => {
        const origin = { topic, partition, offset: message.offset };
        await this.withRetry(origin, message, async () => handler(fromWire(toWireMessage(message)), origin), heartbeat);
      },
    });
  }

  /**
   * Like `run`, but messages with different keys are handled in parallel (up to `parallelism`)
   * while messages with the same key stay in order: commands to different aggregates do not wait
   * for each other's commits. Offsets are committed once the whole fetched batch is handled.
   */
  async runKeyed(handler: MessageHandler, parallelism = 16): Promise<void> {
    await this.connect();
    await this.consumer.run({
      eachBatchAutoResolve: false,
      partitionsConsumedConcurrently: this.options.concurrency ?? 1,
      eachBatch: async ({ batch, resolveOffset, heartbeat, commitOffsetsIfNecessary }) => {
        const byKey = new Map<string, KafkaMessage[]>();
        for (const message of batch.messages) {
          const key = message.key?.toString() ?? `offset:${message.offset}`;
          byKey.set(key, [...(byKey.get(key) ?? []), message]);
        }
        const lanes = [...byKey.values()];
        const beat = setInterval(() => void heartbeat().catch(() => undefined), 2000);
        try {
          await forEachLimited(lanes, parallelism, async (lane) => {
            for (const message of lane) {
              // Shutting down: leave the rest of the batch uncommitted; it is redelivered.
              if (this.stopping) throw new Error('consumer stopping');
              const origin = { topic: batch.topic, partition: batch.partition, offset: message.offset };
              await this.withRetry(origin, message, async () => handler(fromWire(toWireMessage(message)), origin));
            }
          });
        } finally {
          clearInterval(beat);
        }
        const last = batch.messages[batch.messages.length - 1];
        if (last) resolveOffset(last.offset);
        await commitOffsetsIfNecessary();
      },
    });
  }

  /**
   * Batch consumption for streams (telemetry). `parse` validates each message; one that fails is
   * dead-lettered on its own and the rest of the batch goes on.
   */
  async runBatch<T>(parse: (envelope: Envelope) => T, handler: BatchHandler<T>): Promise<void> {
    await this.connect();
    await this.consumer.run({
      eachBatchAutoResolve: false,
      partitionsConsumedConcurrently: this.options.concurrency ?? 1,
      eachBatch: async ({ batch, resolveOffset, heartbeat, commitOffsetsIfNecessary, isRunning, isStale }) => {
        const items: T[] = [];
        const origins: Origin[] = [];
        for (const message of batch.messages) {
          const origin = { topic: batch.topic, partition: batch.partition, offset: message.offset };
          try {
            items.push(parse(fromWire(toWireMessage(message))));
            origins.push(origin);
          } catch (err) {
            await this.deadLetter(origin, message, err);
          }
        }
        if (!isRunning() || isStale()) return;
        if (items.length > 0) {
          await this.retryForever(origins[0], async () => {
            await handler(items, origins);
          }, heartbeat);
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
    this.consumer.on(this.consumer.events.END_BATCH_PROCESS, (e) => listener(e.payload.partition, e.payload.lastOffset));
  }

  async stop(): Promise<void> {
    this.stopping = true;
    await this.consumer.disconnect();
    this.bus.forget(this.consumer);
  }

  private async connect(): Promise<void> {
    await this.consumer.connect();
    await this.consumer.subscribe({ topics: [...this.options.topics], fromBeginning: this.options.fromBeginning ?? true });
  }

  /** `heartbeat` keeps the group membership alive while a message waits out a long outage. */
  private async withRetry(origin: Origin, message: KafkaMessage, work: () => Promise<void>, heartbeat?: () => Promise<void>): Promise<void> {
    const max = this.options.maxAttempts ?? Number.POSITIVE_INFINITY;
    for (let attempt = 1; ; attempt++) {
      try {
        await work();
        return;
      } catch (err) {
        if (isPoison(err) || attempt >= max) {
          await this.deadLetter(origin, message, err);
          return;
        }
        this.throwIfStopping(err);
        const delay = backoff(attempt);
        this.options.log.warn({ err, ...origin, attempt, retryInMs: delay }, 'handler failed; retrying');
        await sleep(delay);
        await heartbeat?.().catch(() => undefined);
      }
    }
  }

  private async retryForever(origin: Origin, work: () => Promise<void>, heartbeat: () => Promise<void>): Promise<void> {
    for (let attempt = 1; ; attempt++) {
      try {
        await work();
        return;
      } catch (err) {
        this.throwIfStopping(err);
        const delay = backoff(attempt);
        this.options.log.warn({ err, ...origin, attempt, retryInMs: delay }, 'batch handler failed; retrying');
        await sleep(delay);
        await heartbeat().catch(() => undefined);
      }
    }
  }

  /** While shutting down, give up on the message: its offset stays uncommitted and it is redelivered. */
  private throwIfStopping(err: unknown): void {
    if (this.stopping) throw err;
  }

  private async deadLetter(origin: Origin, message: KafkaMessage, err: unknown): Promise<void> {
    const wire = toWireMessage(message);
    const error = err instanceof Error ? err.message : String(err);
    const code = (err as { code?: unknown } | null | undefined)?.code;
    if (this.options.deadLetter === false) {
      this.options.log.error({ ...origin, error }, 'message skipped: it cannot be handled');
      return;
    }
    this.options.log.error({ ...origin, error }, 'message sent to the dead-letter topic');
    await this.bus.send(dlqTopic(origin.topic), [
      {
        key: wire.key,
        value: wire.value,
        headers: {
          ...wire.headers,
          [MeridianHeaders.error]: error.slice(0, 4000),
          [MeridianHeaders.errorCode]: typeof code === 'string' ? code : 'UNKNOWN',
          [MeridianHeaders.originalTopic]: origin.topic,
          [MeridianHeaders.originalPartition]: String(origin.partition),
          [MeridianHeaders.originalOffset]: origin.offset,
        },
      },
    ]);
  }
}

/** Runs `work` over `items`, `limit` at a time; waits for all workers, then throws the first error. */
async function forEachLimited<T>(items: readonly T[], limit: number, work: (item: T) => Promise<void>): Promise<void> {
  let next = 0;
  const worker = async (): Promise<void> => {
    for (let i = next++; i < items.length; i = next++) await work(items[i]);
  };
  const results = await Promise.allSettled(Array.from({ length: Math.min(limit, items.length) }, worker));
  const failed = results.find((r): r is PromiseRejectedResult => r.status === 'rejected');
  if (failed) throw failed.reason;
}
