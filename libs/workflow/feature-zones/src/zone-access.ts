import type { Principal } from '@meridian/contracts/identity';
import { type Decision, decide, decidePermission } from '@meridian/shared/policy';
import type { ZoneDefinition, ZoneState } from '@meridian/workflow/domain';

/** What the policy looks at in a zone: its geometry (the location), sensitivity and team. */
export type ZoneAccessAttributes = Pick<ZoneDefinition, 'geometry' | 'sensitivity' | 'team'>;

/**
 * The policy's verdict on `zones:write` for every version of a zone a command touches, in order:
 * the zone as it is (for a replacement or archive) and as it will be. Each must be allowed, the
 * first refusal is the answer: a region-restricted user can create or replace only zones that
 * intersect the region, and can neither move a zone out of it nor take one over from outside.
 * With no version to look at (no such zone), the role and the hours decide; the decider then
 * answers ZONE.NOT_FOUND anyway.
 */
export function zoneWriteAccess(
  principal: Principal,
  tenantId: string,
  zones: readonly ZoneAccessAttributes[],
  now: Date,
): Decision {
  if (zones.length === 0) return decidePermission(principal, 'zones:write', now);
  for (const { geometry, sensitivity, team } of zones) {
    const decision = decide(principal, 'zones:write', { tenantId, location: geometry, sensitivity, team }, now);
    if (!decision.allow) return decision;
  }
  return { allow: true };
}

/** The zone as it is, when the tenant has it (another tenant's zone is not found, never judged). */
export const zoneAsItIs = (state: ZoneState, tenantId: string): ZoneAccessAttributes[] =>
  state.status !== 'none' && state.tenantId === tenantId ? [state] : [];
