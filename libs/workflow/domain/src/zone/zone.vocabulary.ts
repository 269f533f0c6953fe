/**
 * The zone's own vocabulary (issue 7). As for assets, the domain imports only the core contracts;
 * the edge maps between these and the integration schemas when zones reach the API.
 */
export const zoneKinds = ['geofence', 'restricted', 'area_of_interest', 'mission_area'] as const;
export type ZoneKind = (typeof zoneKinds)[number];

/** Sensitivity levels 0 (public) to 4; a user's clearance must reach it to see the zone. */
export const MAX_ZONE_SENSITIVITY = 4;

/** Stable codes of the zone's refusals. */
export const ZoneRejections = {
  alreadyExists: 'ZONE.ALREADY_EXISTS',
  notFound: 'ZONE.NOT_FOUND',
  archived: 'ZONE.ARCHIVED',
  validityInvalid: 'ZONE.VALIDITY_INVALID',
  sensitivityInvalid: 'ZONE.SENSITIVITY_INVALID',
} as const;
