import type { Producer } from 'kafkajs';
import { CodedError, ErrorCodes, type WireMessage } from '@meridian/contracts/core';
import { backoff, settleWithin, sleep } from '@meridian/shared/util';
import { classifyFailure } from './failures';

export interface SendQueueOptions {
  /**
   * Bytes of messages accepted and not yet acknowledged (or given up): a send that would go past
   * it is refused at once with `UPSTREAM.UNAVAILABLE`, so a broker outage costs bounded memory
   * and callers get a quick 503 instead of a queue that grows without limit. Default 32 MiB.
   */
  readonly maxQueuedBytes?: number;
  /** Deadline of each send, after which it rejects with `UPSTREAM.UNAVAILABLE`. Default 10 s. */
  readonly sendTimeoutMs?: number;
  /** Bytes per produce request; below the broker's default 1 MiB record-batch limit. */
  readonly maxRequestBytes?: number;
}

/** Where the queue gets its producer, and where it reports what became of each request. */
export interface ProducerLease {
  /** The current producer, connecting a new one if there is none. */
  acquire(): Promise<Producer>;
  /** A request failed: the producer is dropped, so the next request connects a fresh one. */
  failed(err: unknown): void;
  succeeded(): void;
}

export const DEFAULT_MAX_QUEUED_BYTES = 32 * 1024 * 1024;
export const DEFAULT_SEND_TIMEOUT_MS = 10_000;
const MAX_REQUEST_BYTES = 768 * 1024;

interface Pending {
  readonly topic: string;
  readonly messages: readonly WireMessage[];
  readonly bytes: number;
  readonly deadline: number;
  /** Messages of this send not yet taken into a request. */
  next: number;
  /** Requests carrying part of this send that are not yet settled. */
  inFlight: number;
  failed: unknown;
  lastError: unknown;
  settled: boolean;
  timer: NodeJS.Timeout | undefined;
  readonly resolve: () => void;
  readonly reject: (err: unknown) => void;
}

interface Part {
  readonly pending: Pending;
  readonly messages: readonly WireMessage[];
}

const sizeOf = (m: WireMessage): number =>
  m.value.length +
  (m.key?.length ?? 0) +
  Object.entries(m.headers).reduce((n, [k, v]) => n + k.length + v.length + 8, 0) +
  32;

class SendTimeoutError extends Error {
  constructor(ms: number) {
    super(`Kafka did not answer a produce request within ${ms} ms`);
    this.name = 'TimeoutError';
  }
}

/**
 * The broker answered that a topic does not exist (deleted, or never created). On a producer that
 * sent to other topics before, this can also mean a topic it once used is gone: kafkajs keeps every
 * topic it produced to in its metadata requests, and one deleted topic fails all of them.
 */
export function isUnknownTopic(err: unknown): boolean {
  for (let e = err, depth = 0; e !== null && typeof e === 'object' && depth < 6; depth++) {
    const { type, name, cause } = e as { type?: unknown; name?: unknown; cause?: unknown };
    if (type === 'UNKNOWN_TOPIC_OR_PARTITION' || name === 'KafkaJSMetadataNotLoaded') return true;
    e = cause;
  }
  return false;
}

/** Worth another try on a fresh producer before the deadline: the broker or the connection failed. */
const retriable = (err: unknown): boolean => !isUnknownTopic(err) && classifyFailure(err) === 'transient';

/**
 * One produce request in flight per producer; sends that arrive meanwhile are coalesced into the
 * next request, up to a byte budget (a large send is split across requests). Concurrent `send()`
 * calls on kafkajs's idempotent producer have lost messages in the past (tulios/kafkajs#1005);
 * serialising them keeps sequence numbers simple, and coalescing makes the serial path fast.
 *
 * Failure paths:
 * - The queue is bounded in bytes; a send that does not fit is refused at once.
 * - Each send has a deadline: when it passes, the send rejects with `UPSTREAM.UNAVAILABLE` and its
 *   messages not yet taken into a request are dropped (a request already on the wire may still
 *   land: delivery is at-least-once, and consumers deduplicate).
 * - After a failed request the producer is replaced (see `ProducerLease`), and each send of that
 *   request is tried again on its own on the fresh producer: one bad send (a topic deleted
 *   meanwhile, a record too large) never fails the sends it was coalesced with, and a send whose
 *   failure was the broker's is retried with backoff until it succeeds or its deadline passes.
 */
export class SendQueue {
  private queue: Pending[] = [];
  private flushing = false;
  private flushed: Promise<void> = Promise.resolve();
  private queuedBytes = 0;
  private closed = false;
  private readonly maxQueuedBytes: number;
  private readonly sendTimeoutMs: number;
  private readonly maxRequestBytes: number;

  constructor(
    private readonly lease: ProducerLease,
    options: SendQueueOptions = {},
  ) {
    this.maxQueuedBytes = options.maxQueuedBytes ?? DEFAULT_MAX_QUEUED_BYTES;
    this.sendTimeoutMs = options.sendTimeoutMs ?? DEFAULT_SEND_TIMEOUT_MS;
    this.maxRequestBytes = options.maxRequestBytes ?? MAX_REQUEST_BYTES;
  }

  /** Bytes accepted and not yet acknowledged or given up. */
  get bytesQueued(): number {
    return this.queuedBytes;
  }

  send(topic: string, messages: readonly WireMessage[]): Promise<void> {
    if (messages.length === 0) return Promise.resolve();
    if (this.closed) return Promise.reject(unavailable('the message bus is closed'));
    const bytes = messages.reduce((n, m) => n + sizeOf(m), 0);
    if (this.queuedBytes + bytes > this.maxQueuedBytes) {
      return Promise.reject(
        unavailable(`the Kafka send queue is full (${this.queuedBytes} of ${this.maxQueuedBytes} bytes waiting)`),
      );
    }
    this.queuedBytes += bytes;
    return new Promise<void>((resolve, reject) => {
      const pending: Pending = {
        topic,
        messages,
        bytes,
        deadline: Date.now() + this.sendTimeoutMs,
        next: 0,
        inFlight: 0,
        failed: undefined,
        lastError: undefined,
        settled: false,
        timer: undefined,
        resolve,
        reject,
      };
      pending.timer = setTimeout(() => this.expire(pending), this.sendTimeoutMs);
      this.queue.push(pending);
      if (!this.flushing) {
        this.flushing = true;
        this.flushed = this.flush();
      }
    });
  }

  /** Refuses new sends, gives up the queued ones and waits (bounded) for the request in flight. */
  async close(waitMs = 5000): Promise<void> {
    this.closed = true;
    for (const pending of this.queue)
      this.finish(pending, unavailable('the message bus closed before Kafka acknowledged'));
    this.queue = [];
    if (this.flushing) await settleWithin(waitMs, this.flushed);
  }

  private async flush(): Promise<void> {
    try {
      while (this.queue.length > 0 && !this.closed) {
        const parts = this.take();
        if (parts.length === 0) continue;
        const error = await this.produce(parts);
        if (error === undefined) {
          for (const { pending } of parts) this.settlePart(pending, undefined);
          continue;
        }
        for (const part of parts) this.settlePart(part.pending, await this.deliverAlone(part, error));
      }
    } finally {
      // Synchronously with the loop's end: a send made by a caller resumed above starts a new flush.
      this.flushing = false;
    }
  }

  /** A part of a failed request, again on a fresh producer; retried while the failure is the broker's. */
  private async deliverAlone(part: Part, firstError: unknown): Promise<unknown> {
    part.pending.lastError = firstError;
    for (let attempt = 1; ; attempt++) {
      if (part.pending.settled) return part.pending.lastError;
      if (this.closed) return unavailable('the message bus closed before Kafka acknowledged');
      const error = await this.produce([part]);
      if (error === undefined) return undefined;
      part.pending.lastError = error;
      if (!retriable(error)) return error;
      const wait = Math.min(backoff(attempt, 100, 2000), part.pending.deadline - Date.now());
      if (wait > 0) await sleep(wait);
    }
  }

  private async produce(parts: readonly Part[]): Promise<unknown> {
    // Bounded even if kafkajs is not: a request may not outlive the latest deadline it carries.
    const limit = Math.max(1000, Math.max(...parts.map((p) => p.pending.deadline)) - Date.now());
    try {
      await within(limit, async () => {
        const producer = await this.lease.acquire();
        await producer.sendBatch({ acks: -1, timeout: this.sendTimeoutMs, topicMessages: byTopic(parts) });
      });
      this.lease.succeeded();
      return undefined;
    } catch (err) {
      const error = err ?? new Error('produce failed');
      this.lease.failed(error);
      return error;
    }
  }

  /** Takes messages from the head of the queue until the byte budget is used (at least one message). */
  private take(): Part[] {
    const parts: { pending: Pending; messages: WireMessage[] }[] = [];
    let bytes = 0;
    for (const pending of this.queue) {
      const taken: WireMessage[] = [];
      while (pending.next < pending.messages.length) {
        const size = sizeOf(pending.messages[pending.next]);
        if ((parts.length > 0 || taken.length > 0) && bytes + size > this.maxRequestBytes) break;
        taken.push(pending.messages[pending.next]);
        pending.next++;
        bytes += size;
      }
      if (taken.length > 0) {
        pending.inFlight++;
        parts.push({ pending, messages: taken });
      }
      if (pending.next < pending.messages.length) break;
    }
    this.queue = this.queue.filter((p) => p.next < p.messages.length);
    return parts;
  }

  private settlePart(pending: Pending, error: unknown): void {
    pending.inFlight--;
    if (pending.settled) return;
    if (error !== undefined) {
      // No point sending the rest of a send that has failed.
      this.finish(pending, error);
      return;
    }
    if (pending.inFlight > 0 || pending.next < pending.messages.length) return;
    this.finish(pending, undefined);
  }

  private expire(pending: Pending): void {
    if (pending.settled) return;
    // The cause goes to details (logged), not the message, which may reach an HTTP client.
    const last = pending.lastError instanceof Error ? { lastError: pending.lastError.message } : undefined;
    this.finish(pending, unavailable(`Kafka did not acknowledge within ${this.sendTimeoutMs} ms`, last));
  }

  /** Settles a send once; its messages not yet taken into a request leave the queue. */
  private finish(pending: Pending, error: unknown): void {
    if (pending.settled) return;
    pending.settled = true;
    clearTimeout(pending.timer);
    this.queuedBytes -= pending.bytes;
    if (pending.next < pending.messages.length) {
      pending.next = pending.messages.length;
      this.queue = this.queue.filter((p) => p !== pending);
    }
    if (error === undefined) pending.resolve();
    else pending.reject(error);
  }
}

const unavailable = (detail: string, details?: Record<string, unknown>): CodedError =>
  new CodedError(ErrorCodes.upstreamUnavailable, detail, details);

/** Runs `work`, failing with a timeout after `ms`; a late outcome of `work` is ignored. */
async function within(ms: number, work: () => Promise<void>): Promise<void> {
  let timer: NodeJS.Timeout | undefined;
  const running = work();
  running.catch(() => undefined);
  try {
    await Promise.race([
      running,
      new Promise<never>((_, reject) => {
        timer = setTimeout(() => reject(new SendTimeoutError(ms)), ms);
      }),
    ]);
  } finally {
    clearTimeout(timer);
  }
}

function byTopic(parts: readonly Part[]) {
  const topics = new Map<string, { key: string | null; value: Buffer; headers: Record<string, string> }[]>();
  for (const { pending, messages } of parts) {
    const list = topics.get(pending.topic) ?? [];
    for (const m of messages) list.push({ key: m.key, value: m.value, headers: { ...m.headers } });
    topics.set(pending.topic, list);
  }
  return [...topics].map(([topic, messages]) => ({ topic, messages }));
}
