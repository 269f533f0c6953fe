import { toWire, type WireMessage } from '@meridian/contracts/core';
import type { RecordedEvent } from '@meridian/shared/decider';
import type { MessageBus } from './bus';

/** The public form of a stored domain event, or null for events that stay internal. */
export interface IntegrationMessage {
  readonly key: string;
  readonly type: string;
  readonly dataschema: string;
  readonly data: unknown;
  readonly subject?: string;
}

export type IntegrationMapper = (event: RecordedEvent) => IntegrationMessage | null;

/**
 * Maps stored domain events to integration events at the edge and publishes them; the CloudEvent
 * id is the stored event id, so consumers deduplicate relay retries by `ce_id`.
 */
export function outboxPublisher(bus: MessageBus, options: { service: string; topic: string; map: IntegrationMapper }) {
  return async (events: readonly RecordedEvent[]): Promise<void> => {
    const messages: WireMessage[] = [];
    for (const event of events) {
      const m = options.map(event);
      if (!m) continue;
      const meta = event.metadata;
      messages.push(
        toWire(
          {
            id: event.id,
            type: m.type,
            source: `/meridian/${options.service}`,
            time: event.recordedAt.toISOString(),
            dataschema: m.dataschema,
            ...(m.subject ? { subject: m.subject } : {}),
            data: m.data,
            correlationId: meta.correlationId ?? event.id,
            causationId: meta.causationId ?? event.id,
            ...(meta.tenantId ? { tenantId: meta.tenantId } : {}),
            ...(meta.actor ? { actor: meta.actor } : {}),
            ...(meta.traceparent ? { traceparent: meta.traceparent } : {}),
          },
          m.key,
        ),
      );
    }
    await bus.send(options.topic, messages);
  };
}
