import type { Geometry, MultiPolygon, Polygon } from 'geojson';
import type { Role } from './roles';

/** The highest clearance and sensitivity: a principal with it sees every sensitivity. */
export const MAX_CLEARANCE = 4;

/** A daily window of UTC minutes, [fromMinute, toMinute); from > to wraps midnight, from = to is empty. */
export interface HoursWindow {
  readonly fromMinute: number;
  readonly toMinute: number;
}

/**
 * Who asks, as far as authorization cares. Structurally a subset of the identity contracts'
 * `Principal`, so that one can be passed as is. `null`/absent attributes are unrestricted.
 */
export interface PolicyPrincipal {
  readonly tenantId: string;
  readonly subject: string;
  readonly roles: readonly Role[];
  /** Grants `tenants:admin` and nothing else by itself. */
  readonly platformAdmin?: boolean;
  /** Allowed area, lon/lat EPSG:4326; resources must intersect it (touching counts). */
  readonly region?: Polygon | MultiPolygon | null;
  /** 0 (public) to 4 (sees everything); resources up to this sensitivity are visible. */
  readonly clearance: number;
  /** Teams the principal belongs to; null/absent = every team. Team-less resources are always visible. */
  readonly teams?: readonly string[] | null;
  readonly hours?: HoursWindow | null;
}

/** What is acted on, as far as authorization cares. A kind without an attribute leaves it out. */
export interface PolicyResource {
  readonly tenantId: string;
  /** Lon/lat EPSG:4326; a resource without one is invisible to a region-restricted principal. */
  readonly location?: Geometry | null;
  /** 0 to 4; null/absent = 0. */
  readonly sensitivity?: number | null;
  readonly team?: string | null;
}

/** Minute of the UTC day, 0–1439 (NaN for an invalid date, which is in no window). */
export const utcMinuteOfDay = (now: Date): number => now.getUTCHours() * 60 + now.getUTCMinutes();

export function inHours(hours: HoursWindow, now: Date): boolean {
  const minute = utcMinuteOfDay(now);
  const { fromMinute: from, toMinute: to } = hours;
  return from <= to ? minute >= from && minute < to : minute >= from || minute < to;
}

/** The clearance rule applies: below MAX_CLEARANCE (at it, every sensitivity is visible, even an out-of-range one). */
export const clearanceRestricts = (principal: PolicyPrincipal): boolean => !(principal.clearance >= MAX_CLEARANCE);

/**
 * True when the attribute rules (region, clearance, teams) hide no row of the principal's tenant,
 * so a caller can skip per-row work. Roles, hours and the tenant still apply: use `can` and the
 * tenant (or `compileFilter`, which then compiles to the tenant comparison alone).
 */
export const isUnrestricted = (principal: PolicyPrincipal): boolean =>
  principal.region == null && principal.teams == null && !clearanceRestricts(principal);
