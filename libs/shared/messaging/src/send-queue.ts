import type { Producer } from 'kafkajs';
import type { WireMessage } from '@meridian/contracts';

interface Pending {
  readonly topic: string;
  readonly messages: readonly WireMessage[];
  /** Messages of this send not yet taken into a request. */
  next: number;
  /** Requests carrying part of this send that are not yet acknowledged. */
  inFlight: number;
  failed: unknown;
  readonly resolve: () => void;
  readonly reject: (err: unknown) => void;
}

/** Below the broker's default 1 MiB record-batch limit, with room for batch overhead. */
const MAX_REQUEST_BYTES = 768 * 1024;

const sizeOf = (m: WireMessage): number =>
  m.value.length + (m.key?.length ?? 0) + Object.entries(m.headers).reduce((n, [k, v]) => n + k.length + v.length + 8, 0) + 32;

/**
 * One produce request in flight per producer; sends that arrive meanwhile are coalesced into the
 * next request, up to a byte budget (a large send is split across requests). Concurrent `send()`
 * calls on kafkajs's idempotent producer have lost messages in the past (tulios/kafkajs#1005);
 * serialising them keeps sequence numbers simple, and coalescing makes the serial path fast.
 * A send resolves when every part of it was acknowledged, and rejects if any part failed.
 */
export class SendQueue {
  private queue: Pending[] = [];
  private flushing = false;

  constructor(
    private readonly producer: () => Promise<Producer>,
    private readonly maxRequestBytes = MAX_REQUEST_BYTES,
  ) {}

  send(topic: string, messages: readonly WireMessage[]): Promise<void> {
    if (messages.length === 0) return Promise.resolve();
    return new Promise<void>((resolve, reject) => {
      this.queue.push({ topic, messages, next: 0, inFlight: 0, failed: undefined, resolve, reject });
      if (!this.flushing) void this.flush();
    });
  }

  private async flush(): Promise<void> {
    this.flushing = true;
    try {
      while (this.queue.length > 0) {
        const parts = this.take();
        const error = await this.produce(parts);
        if (error === undefined || parts.length === 1) {
          for (const { pending } of parts) this.settlePart(pending, error);
          continue;
        }
        // One bad send (e.g. to a topic that was just deleted) must not fail the sends it was
        // coalesced with: retry each part on its own and settle it by its own outcome.
        for (const part of parts) this.settlePart(part.pending, await this.produce([part]));
      }
    } finally {
      this.flushing = false;
    }
  }

  private async produce(parts: readonly { pending: Pending; messages: readonly WireMessage[] }[]): Promise<unknown> {
    try {
      const producer = await this.producer();
      await producer.sendBatch({ acks: -1, topicMessages: byTopic(parts) });
      return undefined;
    } catch (err) {
      return err ?? new Error('produce failed');
    }
  }

  /** Takes messages from the head of the queue until the byte budget is used (at least one message). */
  private take(): { pending: Pending; messages: readonly WireMessage[] }[] {
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
    if (error !== undefined && pending.failed === undefined) pending.failed = error;
    if (pending.inFlight > 0 || pending.next < pending.messages.length) return;
    if (pending.failed !== undefined) pending.reject(pending.failed);
    else pending.resolve();
  }
}

function byTopic(parts: readonly { pending: Pending; messages: readonly WireMessage[] }[]) {
  const topics = new Map<string, { key: string | null; value: Buffer; headers: Record<string, string> }[]>();
  for (const { pending, messages } of parts) {
    const list = topics.get(pending.topic) ?? [];
    for (const m of messages) list.push({ key: m.key, value: m.value, headers: { ...m.headers } });
    topics.set(pending.topic, list);
  }
  return [...topics].map(([topic, messages]) => ({ topic, messages }));
}
