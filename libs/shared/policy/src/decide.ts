import { regionIntersects } from './intersects';
import { clearanceRestricts, inHours, type PolicyPrincipal, type PolicyResource, utcMinuteOfDay } from './principal';
import { isRole, type Permission, PLATFORM_PERMISSION, ROLE_PERMISSIONS } from './roles';

/** Stable refusal codes, the same as the identity contracts' AuthErrors (docs/permissions.md). */
export type PolicyDenial =
  | 'AUTH.FORBIDDEN_ROLE'
  | 'AUTH.FORBIDDEN_TENANT'
  | 'AUTH.OUTSIDE_HOURS'
  | 'AUTH.OUTSIDE_REGION'
  | 'AUTH.CLEARANCE'
  | 'AUTH.TEAM';

export type Decision =
  { readonly allow: true } | { readonly allow: false; readonly code: PolicyDenial; readonly detail: string };

const ALLOW: Decision = Object.freeze({ allow: true });
const deny = (code: PolicyDenial, detail: string): Decision => ({ allow: false, code, detail });

const hhmm = (minute: number): string =>
  `${String(Math.floor(minute / 60)).padStart(2, '0')}:${String(minute % 60).padStart(2, '0')}`;

/** Roles (or platformAdmin for tenants:admin) grant the permission; unknown roles grant nothing. */
function roleDenial(principal: PolicyPrincipal, permission: Permission): Decision | null {
  if (permission === PLATFORM_PERMISSION) {
    if (principal.platformAdmin === true) return null;
    return deny('AUTH.FORBIDDEN_ROLE', `${permission} is granted to platform administrators only`);
  }
  const granted = principal.roles.some((role) => isRole(role) && ROLE_PERMISSIONS[role].includes(permission));
  if (granted) return null;
  const roles = principal.roles.length > 0 ? principal.roles.join(', ') : 'none';
  return deny('AUTH.FORBIDDEN_ROLE', `${permission} is not granted by the principal's roles (${roles})`);
}

function hoursDenial({ hours }: PolicyPrincipal, now: Date): Decision | null {
  if (hours == null || inHours(hours, now)) return null;
  const window = `${hhmm(hours.fromMinute)}–${hhmm(hours.toMinute)} UTC`;
  return deny('AUTH.OUTSIDE_HOURS', `${hhmm(utcMinuteOfDay(now))} UTC is outside the allowed hours ${window}`);
}

/**
 * The part of the policy that needs no resource: the permission is granted, and now (UTC) is within
 * the principal's hours. For a coarse check at the edge, before anything is loaded.
 */
export const decidePermission = (principal: PolicyPrincipal, permission: Permission, now: Date): Decision =>
  roleDenial(principal, permission) ?? hoursDenial(principal, now) ?? ALLOW;

/**
 * `decidePermission(…).allow`. A boolean on purpose: a Decision object is always truthy, so
 * `if (can(…))` on one would let everyone through, while `.allow` on a boolean fails to compile.
 */
export const can = (principal: PolicyPrincipal, permission: Permission, now: Date): boolean =>
  decidePermission(principal, permission, now).allow;

/**
 * May `principal` do `permission` on `resource` at `now`? Every rule must hold; the first that does
 * not gives the refusal, in this order: role, tenant, hours, region, clearance, team.
 * `tenants:admin` is a platform act: it needs `platformAdmin` (and the hours), not the tenant or
 * the attribute rules. Every other act of a platform admin is an ordinary tenant act.
 * `compileFilter` is the same rule as SQL; policy-agreement.int.spec.ts holds the two together.
 */
export function decide(
  principal: PolicyPrincipal,
  permission: Permission,
  resource: PolicyResource,
  now: Date,
): Decision {
  if (permission === PLATFORM_PERMISSION) return decidePermission(principal, permission, now);
  return (
    roleDenial(principal, permission) ??
    tenantDenial(principal, resource) ??
    hoursDenial(principal, now) ??
    attributeDenial(principal, resource) ??
    ALLOW
  );
}

function tenantDenial(principal: PolicyPrincipal, resource: PolicyResource): Decision | null {
  if (principal.tenantId === resource.tenantId) return null;
  return deny(
    'AUTH.FORBIDDEN_TENANT',
    `the resource belongs to tenant ${resource.tenantId}, not ${principal.tenantId}`,
  );
}

/** Region, then clearance, then team. */
function attributeDenial(principal: PolicyPrincipal, resource: PolicyResource): Decision | null {
  const { region, teams } = principal;
  if (region != null) {
    if (resource.location == null) {
      return deny('AUTH.OUTSIDE_REGION', 'the resource has no location and the principal is limited to a region');
    }
    if (!regionIntersects(region, resource.location)) {
      return deny('AUTH.OUTSIDE_REGION', "the resource lies outside the principal's region");
    }
  }
  const sensitivity = resource.sensitivity ?? 0;
  if (clearanceRestricts(principal) && !(sensitivity <= principal.clearance)) {
    return deny('AUTH.CLEARANCE', `sensitivity ${sensitivity} exceeds clearance ${principal.clearance}`);
  }
  const team = resource.team ?? null;
  if (Array.isArray(teams) && team !== null && !teams.includes(team)) {
    return deny('AUTH.TEAM', `team ${team} is not one of the principal's teams`);
  }
  return null;
}
