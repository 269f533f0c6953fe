import { can } from './decide';
import { clearanceRestricts, type PolicyPrincipal } from './principal';
import { type Permission, PLATFORM_PERMISSION } from './roles';

/** A boolean SQL expression with its $n parameters, to AND into a WHERE clause. */
export interface SqlFilter {
  readonly sql: string;
  readonly params: unknown[];
}

/**
 * SQL expressions (trusted code, never user input) for a resource kind's attributes, e.g.
 * `a.tenant_id`, `a.geom` (geometry in EPSG:4326). `null`: the kind has no such attribute, read as
 * no location, sensitivity 0, no team.
 */
export interface FilterColumns {
  readonly tenant: string;
  readonly geom: string | null;
  readonly sensitivity: string | null;
  readonly team: string | null;
}

const FALSE: SqlFilter = Object.freeze({ sql: 'FALSE', params: [] });

/**
 * `decide` as a WHERE clause: a row matches exactly when `decide` allows the row as a resource.
 * Roles and hours are settled here (a refusal compiles to FALSE); the tenant and the restricted
 * attributes become predicates on the columns, their values passed as parameters from
 * `$firstParam` on, never spliced into the text. Unrestricted attributes add nothing, so an
 * unrestricted principal costs one tenant comparison. The region predicate is the plain
 * ST_Intersects a GiST index on the geometry column serves.
 */
export function compileFilter(
  principal: PolicyPrincipal,
  permission: Permission,
  columns: FilterColumns,
  now: Date,
  firstParam: number,
): SqlFilter {
  if (!Number.isInteger(firstParam) || firstParam < 1) {
    throw new RangeError(`firstParam must be a positive integer, not ${firstParam}`);
  }
  if (!can(principal, permission, now)) return FALSE;
  if (permission === PLATFORM_PERMISSION) return { sql: 'TRUE', params: [] };

  const params: unknown[] = [];
  const param = (value: unknown): string => `$${firstParam + params.push(value) - 1}`;
  const predicates = [`${columns.tenant} = ${param(principal.tenantId)}`];

  if (principal.region != null) {
    if (columns.geom === null) return FALSE;
    const region = `ST_SetSRID(ST_GeomFromGeoJSON(${param(JSON.stringify(principal.region))}), 4326)`;
    predicates.push(`ST_Intersects(${columns.geom}, ${region})`);
  }
  if (clearanceRestricts(principal)) {
    if (columns.sensitivity === null) {
      if (!(0 <= principal.clearance)) return FALSE;
    } else {
      predicates.push(`COALESCE(${columns.sensitivity}, 0) <= ${param(principal.clearance)}`);
    }
  }
  if (Array.isArray(principal.teams) && columns.team !== null) {
    predicates.push(`(${columns.team} IS NULL OR ${columns.team} = ANY(${param([...principal.teams])}::text[]))`);
  }
  return { sql: `(${predicates.join(' AND ')})`, params };
}
