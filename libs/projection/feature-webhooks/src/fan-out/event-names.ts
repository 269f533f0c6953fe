import { createHash } from 'node:crypto';

/**
 * The name a receiver sees: the integration event type without `meridian.<service>.` and its
 * version (`meridian.projection.geofence.entered.v1` → `geofence.entered`). A type of another form
 * is taken as it is, less a trailing version.
 */
export function shortEventName(type: string): string {
  const withoutVersion = type.replace(/\.v\d+$/, '');
  const match = /^meridian\.[a-z0-9-]+\.(.+)$/.exec(withoutVersion);
  return match ? match[1] : withoutVersion;
}

/**
 * Whether a subscription filter takes an event: `*` everything, `mission.*` every name that starts
 * with `mission.`, anything else exactly that name.
 */
export function filterMatches(filter: string, name: string): boolean {
  if (filter === '*') return true;
  if (filter.endsWith('.*')) return name.startsWith(filter.slice(0, -1));
  return filter === name;
}

export const filtersMatch = (filters: readonly string[], name: string): boolean =>
  filters.some((f) => filterMatches(f, name));

/**
 * The delivery id (the `webhook-id` header): `msg_` and 32 hex digits of SHA-256 over the
 * subscription and the event id, so the same Kafka event redelivered gives the same id and the
 * database keeps one delivery.
 */
export const deliveryIdOf = (webhookId: string, eventId: string): string =>
  `msg_${createHash('sha256').update(`${webhookId}\n${eventId}`).digest('hex').slice(0, 32)}`;

const KEY_FIELDS = ['missionId', 'assetId', 'zoneId', 'userId', 'clientId'] as const;

/**
 * What orders deliveries of one subscription: the id of the entity the event is about (the
 * publishers key their Kafka records by it: asset, mission, zone, user), else the CloudEvents
 * subject, else the event's own id (no ordering with other events).
 */
export function orderingKeyOf(event: {
  readonly id: string;
  readonly subject?: string;
  readonly data: unknown;
}): string {
  const data = event.data;
  if (typeof data === 'object' && data !== null) {
    const record = data as Record<string, unknown>;
    for (const field of KEY_FIELDS) {
      const value = record[field];
      if (typeof value === 'string' && value.length > 0) return `${field}:${value}`;
    }
  }
  return event.subject ? `subject:${event.subject}` : `event:${event.id}`;
}
