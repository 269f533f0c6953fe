import type { Decision as PolicyDecision } from '@meridian/shared/policy';

/**
 * The policy's verdict on an administration command (`identity:admin` in the tenant, or the
 * platform administrator's `tenants:admin`), made by the handler and passed in as data: the
 * decider stays pure and refuses with the policy's code.
 */
export type AdminAccess = PolicyDecision;

/** For identity's own commands (bootstrap, federation), never for a principal's. */
export const SYSTEM_ACCESS: AdminAccess = Object.freeze({ allow: true });

/**
 * What a principal may do in its tenant: roles and attributes (ABAC). The domain keeps its own
 * vocabulary (it imports only the core contracts); the edge checks that it agrees with the
 * identity contracts' `Role` and `PrincipalAttributes`.
 */
export const principalRoles = ['viewer', 'operator', 'dispatcher', 'approver', 'admin'] as const;
export type PrincipalRole = (typeof principalRoles)[number];

export interface MemberAttributes {
  /** GeoJSON Polygon or MultiPolygon (lon/lat); null: anywhere. */
  readonly region: { readonly type: 'Polygon' | 'MultiPolygon'; readonly coordinates: unknown } | null;
  readonly clearance: number;
  /** null: every team. */
  readonly teams: readonly string[] | null;
  /** UTC minutes of the day; null: any hour. */
  readonly hours: { readonly fromMinute: number; readonly toMinute: number } | null;
}

export interface Membership {
  readonly roles: readonly PrincipalRole[];
  readonly attributes: MemberAttributes;
}

/** No role, no restriction beyond clearance 0: what a federated user starts with. */
export const noAttributes: MemberAttributes = { region: null, clearance: 0, teams: null, hours: null };

/** Roles in the canonical order, each once: two memberships with the same roles compare equal. */
export const canonicalRoles = (roles: readonly PrincipalRole[]): PrincipalRole[] =>
  principalRoles.filter((role) => roles.includes(role));

/** Structural equality of JSON values; key order does not matter (jsonb does not keep it). */
export function sameValue(a: unknown, b: unknown): boolean {
  if (a === b) return true;
  if (typeof a !== 'object' || typeof b !== 'object' || a === null || b === null) return false;
  if (Array.isArray(a) !== Array.isArray(b)) return false;
  if (Array.isArray(a) && Array.isArray(b)) return a.length === b.length && a.every((x, i) => sameValue(x, b[i]));
  const ra = a as Record<string, unknown>;
  const rb = b as Record<string, unknown>;
  const keys = Object.keys(ra);
  return keys.length === Object.keys(rb).length && keys.every((k) => Object.hasOwn(rb, k) && sameValue(ra[k], rb[k]));
}

export const sameMembership = (a: Membership, b: Membership): boolean =>
  sameValue(canonicalRoles(a.roles), canonicalRoles(b.roles)) && sameValue(a.attributes, b.attributes);

/** Who acts when a command carries no principal: identity itself (bootstrap, federation). */
export const SYSTEM_ACTOR = 'system';
