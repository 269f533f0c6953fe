import { randomUUID } from 'node:crypto';
import type { Envelope } from '@meridian/contracts/core';
import { type MessageBus, Subscription } from '@meridian/shared/messaging';
import type { Log } from '@meridian/shared/util';

export interface TopicReplayOptions {
  readonly topic: string;
  /** Names the consumer group (`gateway.<name>.<instance>.<random>`) and the log line. */
  readonly name: string;
  readonly instanceId: string;
  readonly log: Log;
}

/**
 * An in-memory view of a topic, rebuilt at every start: the topic is read from the beginning by a
 * consumer group of this process alone that commits nothing, and the view is ready once it has
 * caught up with the end offsets seen at start. How the gateway learns what identity publishes
 * (tenants, signing keys, principals) without ever calling it. Catch-up is tracked per handled
 * batch, so a bad message that is skipped still counts as read.
 */
export class TopicReplay {
  private readonly pending = new Map<number, bigint>();
  private subscription: Subscription | null = null;
  private loaded = false;

  constructor(
    private readonly bus: MessageBus,
    private readonly options: TopicReplayOptions,
  ) {}

  get ready(): boolean {
    return this.loaded;
  }

  /** Reads on until `stop`; `summary` says what the view holds once it is loaded (logged). */
  async start(
    apply: (envelope: Envelope) => Promise<void> | void,
    summary: () => Record<string, unknown> = () => ({}),
  ): Promise<void> {
    const { topic, name, instanceId, log } = this.options;
    for (const [partition, end] of await this.bus.endOffsets(topic)) {
      if (end > 0n) this.pending.set(partition, end);
    }
    this.markLoadedIfCaughtUp(summary);
    this.subscription = new Subscription(this.bus, {
      groupId: `gateway.${name}.${instanceId}.${randomUUID()}`,
      topics: [topic],
      fromBeginning: true,
      commitOffsets: false,
      maxAttempts: 1,
      deadLetter: false,
      log,
    });
    this.subscription.onBatchDone((partition, lastOffset) => {
      const end = this.pending.get(partition);
      if (end !== undefined && BigInt(lastOffset) + 1n >= end) this.pending.delete(partition);
      this.markLoadedIfCaughtUp(summary);
    });
    await this.subscription.run(async (envelope) => apply(envelope));
  }

  async stop(): Promise<void> {
    await this.subscription?.stop();
  }

  private markLoadedIfCaughtUp(summary: () => Record<string, unknown>): void {
    if (this.loaded || this.pending.size > 0) return;
    this.loaded = true;
    this.options.log.info({ topic: this.options.topic, ...summary() }, `${this.options.name} directory loaded`);
  }
}
