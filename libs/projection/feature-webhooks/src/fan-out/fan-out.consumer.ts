import type { Pool } from 'pg';
import type { Envelope } from '@meridian/contracts/core';
import { type NewDelivery, WebhookDeliveries, WebhookSubscriptions } from '@meridian/read-model/webhooks';
import { type MessageBus, Subscription } from '@meridian/shared/messaging';
import type { Log } from '@meridian/shared/util';
import { deliveryIdOf, filtersMatch, orderingKeyOf, shortEventName } from './event-names';

export interface FanOutOptions {
  readonly groupId: string;
  readonly topics: readonly string[];
  /** Partitions handled at once. */
  readonly concurrency?: number;
  /**
   * Where a new group starts (default false: at the end, so subscribers get events from about when
   * they subscribed, not the topics' whole history). Committed offsets win either way.
   */
  readonly fromBeginning?: boolean;
  readonly log: Log;
}

/** Rows per INSERT: a batch times many subscriptions stays bounded in one statement's memory. */
export const INSERT_CHUNK = 5000;

/** An integration event that can become deliveries: it has a tenant. */
interface Deliverable {
  readonly tenantId: string;
  readonly name: string;
  readonly envelope: Envelope;
}

/** The body a receiver gets, in the Standard Webhooks shape. */
export const webhookPayload = (name: string, envelope: Envelope): string =>
  JSON.stringify({ type: name, timestamp: envelope.time, data: envelope.data });

/**
 * Turns integration events into deliveries, in a consumer group of its own. Each fetched batch is
 * matched against the active subscriptions of its tenants and recorded in sequential INSERTs of at
 * most 5,000 rows, in order (ON CONFLICT DO NOTHING: a redelivered event adds nothing). The new
 * deliveries are then queued, still inside the batch handler, and the offsets are committed after
 * it returns. Queuing waits at most 2 s and never fails the batch: a delivery not queued is found
 * by the dispatcher's next pass, and a batch handled again after a crash adds no delivery twice.
 *
 * Failures follow ADR 0011 through `Subscription.runBatch`: a record that is not a CloudEvent is
 * dead-lettered on its own; an event without a tenant is skipped (nobody can subscribe to it); the
 * database being away retries the batch until it is back.
 */
export class FanOutConsumer {
  private subscription: Subscription | null = null;
  private readonly subscriptions: WebhookSubscriptions;
  private readonly deliveries: WebhookDeliveries;
  /** Deliveries recorded since start. */
  recorded = 0;

  constructor(
    private readonly bus: MessageBus,
    pool: Pool,
    private readonly options: FanOutOptions,
    private readonly enqueue: (ids: readonly string[]) => Promise<void>,
  ) {
    this.subscriptions = new WebhookSubscriptions(pool);
    this.deliveries = new WebhookDeliveries(pool);
  }

  async start(): Promise<void> {
    const subscription = new Subscription(this.bus, {
      groupId: this.options.groupId,
      topics: this.options.topics,
      concurrency: this.options.concurrency ?? 3,
      fromBeginning: this.options.fromBeginning ?? false,
      log: this.options.log,
    });
    this.subscription = subscription;
    await subscription.runBatch(
      (envelope) => this.deliverable(envelope),
      async (items) => {
        const ids = await this.record(items.filter((i): i is Deliverable => i !== null));
        this.recorded += ids.length;
        await this.enqueue(ids);
      },
    );
  }

  async stop(): Promise<void> {
    const subscription = this.subscription;
    this.subscription = null;
    await subscription?.stop();
  }

  private deliverable(envelope: Envelope): Deliverable | null {
    if (!envelope.tenantId) return null;
    return { tenantId: envelope.tenantId, name: shortEventName(envelope.type), envelope };
  }

  /** The batch's deliveries in INSERTs of `INSERT_CHUNK` rows, one after another; answers the ids added. */
  private async record(events: readonly Deliverable[]): Promise<string[]> {
    if (events.length === 0) return [];
    const active = await this.subscriptions.active([...new Set(events.map((e) => e.tenantId))]);
    if (active.length === 0) return [];
    const rows = new Map<string, NewDelivery>();
    for (const event of events) {
      for (const s of active) {
        if (s.tenantId !== event.tenantId || !filtersMatch(s.events, event.name)) continue;
        const id = deliveryIdOf(s.id, event.envelope.id);
        // The same event twice in one batch (a producer retry) is one delivery, the first.
        if (rows.has(id)) continue;
        rows.set(id, {
          id,
          webhookId: s.id,
          tenantId: event.tenantId,
          eventType: event.name,
          eventId: event.envelope.id,
          orderingKey: orderingKeyOf(event.envelope),
          payload: webhookPayload(event.name, event.envelope),
        });
      }
    }
    const all = [...rows.values()];
    const added: string[] = [];
    for (let from = 0; from < all.length; from += INSERT_CHUNK) {
      added.push(...(await this.deliveries.insert(all.slice(from, from + INSERT_CHUNK))));
    }
    return added;
  }
}
