import type { Producer } from 'kafkajs';
import type { WireMessage } from '@meridian/contracts';

interface Pending {
  readonly topic: string;
  readonly messages: readonly WireMessage[];
  readonly resolve: () => void;
  readonly reject: (err: unknown) => void;
}

/**
 * One produce request in flight per producer; sends that arrive meanwhile are coalesced into the
 * next request. Concurrent `send()` calls on kafkajs's idempotent producer have lost messages in
 * the past (tulios/kafkajs#1005); serialising them keeps sequence numbers simple, and coalescing
 * makes the serialised path faster than many small requests.
 */
export class SendQueue {
  private queue: Pending[] = [];
  private flushing = false;

  constructor(
    private readonly producer: () => Promise<Producer>,
    private readonly maxMessagesPerRequest = 5000,
  ) {}

  send(topic: string, messages: readonly WireMessage[]): Promise<void> {
    if (messages.length === 0) return Promise.resolve();
    return new Promise<void>((resolve, reject) => {
      this.queue.push({ topic, messages, resolve, reject });
      if (!this.flushing) void this.flush();
    });
  }

  private async flush(): Promise<void> {
    this.flushing = true;
    try {
      while (this.queue.length > 0) {
        const batch = this.take();
        try {
          const producer = await this.producer();
          await producer.sendBatch({ acks: -1, topicMessages: byTopic(batch) });
          batch.forEach((p) => p.resolve());
        } catch (err) {
          batch.forEach((p) => p.reject(err));
        }
      }
    } finally {
      this.flushing = false;
    }
  }

  /** Whole sends only, up to the message budget (a single larger send goes alone). */
  private take(): Pending[] {
    const taken: Pending[] = [];
    let count = 0;
    while (this.queue.length > 0) {
      const next = this.queue[0];
      if (taken.length > 0 && count + next.messages.length > this.maxMessagesPerRequest) break;
      taken.push(next);
      count += next.messages.length;
      this.queue.shift();
    }
    return taken;
  }
}

function byTopic(batch: readonly Pending[]) {
  const topics = new Map<string, { key: string | null; value: Buffer; headers: Record<string, string> }[]>();
  for (const p of batch) {
    const list = topics.get(p.topic) ?? [];
    for (const m of p.messages) list.push({ key: m.key, value: m.value, headers: { ...m.headers } });
    topics.set(p.topic, list);
  }
  return [...topics].map(([topic, messages]) => ({ topic, messages }));
}
