import {
  can,
  clearanceRestricts,
  compileFilter,
  type FilterColumns,
  isUnrestricted,
  type Permission,
  type PolicyPrincipal,
  type SqlFilter,
} from '@meridian/shared/policy';

/**
 * Who reads, and when: every read-model query takes one and returns only the rows the policy lets
 * the principal see (docs/permissions.md, "Row filters in geo-query's queries"). `now` settles the
 * principal's hours; a query handler passes the time it received the request.
 */
export interface ReadScope {
  readonly principal: PolicyPrincipal;
  readonly now: Date;
}

export const readScope = (principal: PolicyPrincipal, now: Date = new Date()): ReadScope => ({ principal, now });

/** The attribute columns of a table that has them all, optionally behind an alias (`a.`). */
export const attributeColumns = (alias = ''): FilterColumns => ({
  tenant: `${alias}tenant_id`,
  geom: `${alias}geom`,
  sensitivity: `${alias}sensitivity`,
  team: `${alias}team`,
});

/**
 * True when the scope hides no row of its tenant for `permission`: the role grants it, the hours
 * hold, and no region, clearance below 4 or team list applies. Such a scope adds nothing to a
 * query's SQL (its `tenant_id = …` is the whole filter), so its plan is the one without the policy.
 */
export const unfiltered = ({ principal, now }: ReadScope, permission: Permission): boolean =>
  isUnrestricted(principal) && can(principal, permission, now);

/**
 * The row filter to append to a WHERE clause that already compares the tenant: `''` for an
 * unfiltered scope, else ` AND (…)` — `compileFilter`, whose parameters are numbered from
 * `firstParam` (append `params` to the query's values). A role or hours refusal compiles to
 * FALSE: what the principal may not see is not there, on lists, pages, single rows and counts.
 */
export function rowFilter(
  scope: ReadScope,
  permission: Permission,
  columns: FilterColumns,
  firstParam: number,
): SqlFilter {
  if (unfiltered(scope, permission)) return { sql: '', params: [] };
  const filter = compileFilter(scope.principal, permission, columns, scope.now, firstParam);
  return { sql: ` AND ${filter.sql}`, params: filter.params };
}

/**
 * Whether the principal's filter reads an asset's sensitivity or team: then rows that lack them
 * (positions, zone visits) join asset_latest for their asset's; otherwise they need not.
 */
export const needsAssetAttributes = (principal: PolicyPrincipal): boolean =>
  clearanceRestricts(principal) || Array.isArray(principal.teams);

/**
 * The filter columns of rows that belong to an asset but lack its attributes (a fix, a zone stay):
 * their own tenant and geometry (`geom`: null for rows without one), their asset's sensitivity and
 * team — asset_latest joined for them (`join`, to put after the row's table) only when the
 * principal's filter reads them. A row whose asset has no asset_latest row reads as sensitivity 0
 * and no team, as `decide` reads a resource without them.
 */
export function assetAttributes(
  principal: PolicyPrincipal,
  row: string,
  geom: string | null,
  asset = 'a',
): { readonly columns: FilterColumns; readonly join: string } {
  const tenant = `${row}.tenant_id`;
  if (!needsAssetAttributes(principal)) return { columns: { tenant, geom, sensitivity: null, team: null }, join: '' };
  return {
    columns: { tenant, geom, sensitivity: `${asset}.sensitivity`, team: `${asset}.team` },
    join:
      ` LEFT JOIN read.asset_latest ${asset}` +
      ` ON ${asset}.asset_id = ${row}.asset_id AND ${asset}.tenant_id = ${row}.tenant_id`,
  };
}
