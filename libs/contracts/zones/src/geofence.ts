import { z } from 'zod';
import { defineMessage, Latitude, Longitude } from '@meridian/contracts/core';
import { ZoneId } from './zones';

/**
 * What moved an asset across a zone boundary: one of its fixes, or the zone itself (created around
 * it, its geometry replaced, archived, its validity window opening or closing).
 */
export const geofenceCauses = ['fix', 'zone-created', 'zone-replaced', 'zone-archived', 'validity'] as const;
export const GeofenceCause = z.enum(geofenceCauses);
export type GeofenceCause = z.infer<typeof GeofenceCause>;

const GeofenceTransition = z.strictObject({
  tenantId: z.string(),
  assetId: z.uuid(),
  zoneId: ZoneId,
  /** The fix's time, or the time of the zone change. */
  ts: z.iso.datetime({ offset: true }),
  lon: Longitude,
  lat: Latitude,
  cause: GeofenceCause,
});

/**
 * Integration events: projection → everyone (`meridian.projection.events`, key = asset id, in order
 * per asset). The CloudEvents id is deterministic (asset, zone, transition, cause): a consumer
 * that sees an id twice has seen the same transition twice.
 */
export const GeofenceEnteredV1 = defineMessage(
  'meridian.projection.geofence.entered.v1',
  'event',
  GeofenceTransition,
  'An asset entered an active zone of its tenant (at `lon`/`lat`, its position at `ts`).',
);

export const GeofenceExitedV1 = defineMessage(
  'meridian.projection.geofence.exited.v1',
  'event',
  GeofenceTransition,
  'An asset left a zone, or the zone stopped counting (replaced, archived, validity ended) while it was inside.',
);
