import type { Polygon } from 'geojson';

/** What a client can ask for (`types=`), and the SSE event names each one covers. */
export const streamTypes = ['position', 'geofence', 'mission'] as const;
export type StreamType = (typeof streamTypes)[number];

export const missionEventNames = ['mission.created', 'mission.transitioned', 'mission.assignment-changed'] as const;
export type MissionEventName = (typeof missionEventNames)[number];

export const eventNames = ['position', 'geofence.entered', 'geofence.exited', ...missionEventNames] as const;
export type EventName = (typeof eventNames)[number];

export const isMissionEventName = (name: string): name is MissionEventName =>
  (missionEventNames as readonly string[]).includes(name);

export const typeOfEvent = (name: EventName): StreamType =>
  name === 'position' ? 'position' : isMissionEventName(name) ? 'mission' : 'geofence';

/** A position or a geofence event: both carry the point the bbox filter and the region test. */
export interface PointEvent {
  readonly event: Exclude<EventName, MissionEventName>;
  readonly data: { readonly lon: number; readonly lat: number; readonly [field: string]: unknown };
}

/**
 * A mission's integration event with the mission's area, which the bbox filter and the region test
 * use: `null` when the relay does not know it (it did not see the mission created; docs/stream.md).
 */
export interface MissionEvent {
  readonly event: MissionEventName;
  readonly data: { readonly missionId: string; readonly area: Polygon | null; readonly [field: string]: unknown };
}

/** One event as it is kept in a tenant's Redis stream and sent as one SSE event. */
export type StreamEvent = PointEvent | MissionEvent;

export const isMissionEvent = (event: StreamEvent): event is MissionEvent => isMissionEventName(event.event);

export type TenantEvent = StreamEvent & { readonly tenantId: string };

/** A stream event with its Redis stream entry id (the SSE `id:`). */
export type StoredEvent = StreamEvent & { readonly id: string };
