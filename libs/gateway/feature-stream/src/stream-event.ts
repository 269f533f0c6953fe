/** What a client can ask for (`types=`), and the SSE event names each one covers. */
export const streamTypes = ['position', 'geofence'] as const;
export type StreamType = (typeof streamTypes)[number];

export const eventNames = ['position', 'geofence.entered', 'geofence.exited'] as const;
export type EventName = (typeof eventNames)[number];

export const typeOfEvent = (name: EventName): StreamType => (name === 'position' ? 'position' : 'geofence');

/** One event as it is kept in a tenant's Redis stream and sent as one SSE event. */
export interface StreamEvent {
  readonly event: EventName;
  /** Sent as `data:`; both kinds carry the point the bbox filter tests. */
  readonly data: { readonly lon: number; readonly lat: number; readonly [field: string]: unknown };
}

export interface TenantEvent extends StreamEvent {
  readonly tenantId: string;
}

/** A stream event with its Redis stream entry id (the SSE `id:`). */
export interface StoredEvent extends StreamEvent {
  readonly id: string;
}
