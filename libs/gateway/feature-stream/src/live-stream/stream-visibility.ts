import {
  can,
  decide,
  isUnrestricted,
  type Permission,
  type PolicyPrincipal,
  type PolicyResource,
} from '@meridian/shared/policy';
import { isMissionEvent, type StreamEvent } from '../stream-event';

/**
 * Positions and geofence events show where an asset was (`positions:read`); mission events show a
 * mission (`missions:read`).
 */
export const permissionOf = (event: StreamEvent): Permission =>
  isMissionEvent(event) ? 'missions:read' : 'positions:read';

/** Whether a subscriber may see one event of its tenant's stream. */
export type Visibility = (event: StreamEvent) => boolean;

/**
 * The resource an event shows, for the policy: the tenant of the stream it is read from, where it
 * is, and the asset's sensitivity and team when the event carries them. A position or geofence
 * event is at its point; the relayed ones carry no sensitivity or team today, so they count as
 * sensitivity 0 and no team: region, tenant, roles and hours are enforced on the stream; clearance
 * and teams only once the relay has the asset's attributes to add. A mission event is at the
 * mission's area (missions have no sensitivity or team); an area the relay does not know is no
 * location, which only a principal without a region may see.
 */
export function resourceOf(tenantId: string, event: StreamEvent): PolicyResource {
  if (isMissionEvent(event)) {
    return { tenantId, location: event.data.area ?? null, sensitivity: null, team: null };
  }
  const { lon, lat, sensitivity, team } = event.data;
  return {
    tenantId,
    location: { type: 'Point', coordinates: [lon, lat] },
    sensitivity: typeof sensitivity === 'number' ? sensitivity : null,
    team: typeof team === 'string' ? team : null,
  };
}

/**
 * What a subscriber of `tenantId`'s stream may see: `decide(principal, permissionOf(event), event,
 * now)` for every event, with the principal as it is now (`current`: its latest snapshot), not as
 * it was when the stream opened: a role revoked or a region narrowed applies from the next event,
 * and a revoked principal (undefined) sees nothing more. A principal the attribute rules do not
 * restrict costs one role and hours check per event, no geometry.
 */
export function streamVisibility(
  tenantId: string,
  current: () => PolicyPrincipal | undefined,
  now: () => Date = () => new Date(),
): Visibility {
  return (event) => {
    const principal = current();
    if (!principal) return false;
    const at = now();
    const permission = permissionOf(event);
    if (isUnrestricted(principal)) return principal.tenantId === tenantId && can(principal, permission, at);
    return decide(principal, permission, resourceOf(tenantId, event), at).allow;
  };
}
