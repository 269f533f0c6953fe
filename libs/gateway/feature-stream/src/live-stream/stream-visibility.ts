import { can, decide, isUnrestricted, type PolicyPrincipal, type PolicyResource } from '@meridian/shared/policy';
import type { StreamEvent } from '../stream-event';

/** Both kinds of event show where an asset was: a position, or the fix (or zone change) of a geofence event. */
const PERMISSION = 'positions:read';

/** Whether a subscriber may see one event of its tenant's stream. */
export type Visibility = (event: StreamEvent) => boolean;

/**
 * The resource an event shows, for the policy: the tenant of the stream it is read from, its
 * point, and the asset's sensitivity and team when the event carries them. The relayed events
 * (telemetry fixes, geofence transitions) carry neither today, so they count as sensitivity 0
 * and no team: region, tenant, roles and hours are enforced on the stream; clearance and teams
 * only once the relay has the asset's attributes to add.
 */
export function resourceOf(tenantId: string, event: StreamEvent): PolicyResource {
  const { lon, lat, sensitivity, team } = event.data;
  return {
    tenantId,
    location: { type: 'Point', coordinates: [lon, lat] },
    sensitivity: typeof sensitivity === 'number' ? sensitivity : null,
    team: typeof team === 'string' ? team : null,
  };
}

/**
 * What a subscriber of `tenantId`'s stream may see: `decide(principal, 'positions:read', event,
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
    if (isUnrestricted(principal)) return principal.tenantId === tenantId && can(principal, PERMISSION, at);
    return decide(principal, PERMISSION, resourceOf(tenantId, event), at).allow;
  };
}
