import type { Pool } from 'pg';
import { type Bbox, CodedError, ErrorCodes } from '@meridian/contracts/core';
import type { ZoneFeature, ZoneGeometry, ZoneKind, ZoneVisit } from '@meridian/contracts/zones';
import { assetAttributes, attributeColumns, type ReadScope, rowFilter } from '@meridian/read-model/assets';
import type { Permission, SqlFilter } from '@meridian/shared/policy';

interface ZoneRow {
  zone_id: string;
  name: string;
  kind: ZoneKind;
  geometry: string;
  valid_from: Date | null;
  valid_to: Date | null;
  sensitivity: number;
  team: string | null;
  version: number;
  created_at: Date;
  updated_at: Date;
  archived_at: Date | null;
}

const iso = (d: Date | null): string | null => (d ? d.toISOString() : null);
const zoneColumns = `zone_id, name, kind, ST_AsGeoJSON(geom) AS geometry, valid_from, valid_to, sensitivity, team,
  version, created_at, updated_at, archived_at`;

const toFeature = (r: ZoneRow): ZoneFeature => ({
  type: 'Feature',
  id: r.zone_id,
  geometry: JSON.parse(r.geometry) as ZoneGeometry,
  properties: {
    name: r.name,
    kind: r.kind,
    validFrom: iso(r.valid_from),
    validTo: iso(r.valid_to),
    sensitivity: r.sensitivity,
    team: r.team,
    version: r.version,
    createdAt: r.created_at.toISOString(),
    updatedAt: r.updated_at.toISOString(),
    archivedAt: iso(r.archived_at),
  },
});

/** A microsecond RFC 3339 instant in UTC, as stored (a cursor must not lose precision). */
const micro = (column: string): string => `to_char(${column} AT TIME ZONE 'UTC', 'YYYY-MM-DD"T"HH24:MI:SS.US"Z"')`;

interface VisitRow {
  zone_id: string;
  asset_id: string;
  entered_at: string;
  exited_at: string | null;
}
/** Qualified (`v`): a filtered query joins zones and asset_latest, which have zone_id and asset_id too. */
const visitColumns = [
  'v.zone_id',
  'v.asset_id',
  `${micro('v.entered_at')} AS entered_at`,
  `${micro('v.exited_at')} AS exited_at`,
].join(', ');
/** Milliseconds when that is all the instant has (as fixes usually are), microseconds otherwise. */
const shortest = (ts: string): string => ts.replace(/(\.\d{3})000Z$/, '$1Z');
const toVisit = (r: VisitRow): ZoneVisit => ({
  zoneId: r.zone_id,
  assetId: r.asset_id,
  enteredAt: shortest(r.entered_at),
  exitedAt: r.exited_at === null ? null : shortest(r.exited_at),
});

export interface Page<T> {
  readonly items: T[];
  readonly after: string | null;
}

/** `limit + 1` rows were asked for: the extra one says whether another page follows. */
function page<R, T>(rows: readonly R[], limit: number, map: (r: R) => T, key: (r: R) => string): Page<T> {
  const more = rows.length > limit;
  const kept = more ? rows.slice(0, limit) : rows;
  return { items: kept.map(map), after: more ? key(kept[kept.length - 1]) : null };
}

const MIN_UUID = '00000000-0000-0000-0000-000000000000';
const FAR_PAST = '-infinity';
const FAR_FUTURE = 'infinity';

const VISIT_CURSOR =
  /^(\d{4}-\d{2}-\d{2}T\d{2}:\d{2}:\d{2}\.\d{6}Z)\|([0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12})$/;

/**
 * A visit cursor: the entry instant (microseconds, UTC) and the other id of the last row
 * (`<iso>|<uuid>`). Anything else is QUERY.CURSOR_INVALID, never a cast error or a silent skip.
 */
export function splitVisitCursor(after: string | undefined): [string, string] {
  if (!after) return [FAR_PAST, MIN_UUID];
  const m = VISIT_CURSOR.exec(after);
  if (!m) throw new CodedError(ErrorCodes.cursorInvalid, 'cursor: not a cursor of this query');
  return [m[1], m[2]];
}

/** What a zone list may be narrowed to. */
export interface ZoneListFilter {
  readonly bbox?: Bbox;
  readonly kind?: ZoneKind;
}

export interface Window {
  readonly from?: string;
  readonly to?: string;
}

/** A zone, and a stay in one, is what `zones:read` is about. */
const READ: Permission = 'zones:read';
const zoneAttributes = attributeColumns();

/**
 * The row filter of zone stays (`v`), from parameter `firstParam` on, and the joins it needs: the
 * stay's zone (`z`) as a zone — its geometry against the region, its sensitivity and team — and
 * the stay's asset (`a`) by its sensitivity and team, since a stay tells where the asset was (the
 * region is the zone's: the asset was inside it). Both are '' for an unfiltered scope.
 */
function visitFilter(scope: ReadScope, firstParam: number): { joins: string; filter: SqlFilter } {
  const zone = rowFilter(scope, READ, attributeColumns('z.'), firstParam);
  const unplaced = { ...scope, principal: { ...scope.principal, region: null } };
  const asset = assetAttributes(scope.principal, 'v', null);
  const ofAsset = rowFilter(unplaced, READ, asset.columns, firstParam + zone.params.length);
  const joins = (zone.sql ? ' JOIN read.zones z ON z.zone_id = v.zone_id' : '') + (ofAsset.sql ? asset.join : '');
  return { joins, filter: { sql: zone.sql + ofAsset.sql, params: [...zone.params, ...ofAsset.params] } };
}

/**
 * Reads of zones and zone_visits, all scoped to the caller's tenant and filtered by the principal's
 * row filter for `zones:read` (nothing for an unrestricted one); keyset-paged.
 */
export class ZoneQueries {
  constructor(private readonly pool: Pool) {}

  /** One zone, archived or not, if the scope may see it. */
  async get(scope: ReadScope, zoneId: string): Promise<ZoneFeature | null> {
    const filter = rowFilter(scope, READ, zoneAttributes, 3);
    const { rows } = await this.pool.query<ZoneRow>(
      `SELECT ${zoneColumns} FROM read.zones WHERE zone_id = $1 AND tenant_id = $2${filter.sql}`,
      [zoneId, scope.principal.tenantId, ...filter.params],
    );
    return rows[0] ? toFeature(rows[0]) : null;
  }

  /**
   * Live zones (intersecting `bbox` and of `kind`, each when given) the scope may see, in zone id
   * order after `after`.
   */
  async list(scope: ReadScope, limit: number, where: ZoneListFilter = {}, after?: string): Promise<Page<ZoneFeature>> {
    const { bbox, kind } = where;
    const params: unknown[] = [scope.principal.tenantId, after ?? MIN_UUID, limit + 1];
    const inBbox = bbox ? `AND ST_Intersects(geom, ST_MakeEnvelope($4, $5, $6, $7, 4326))` : '';
    if (bbox) params.push(...bbox);
    const ofKind = kind ? ` AND kind = $${params.push(kind)}` : '';
    const filter = rowFilter(scope, READ, zoneAttributes, params.length + 1);
    const { rows } = await this.pool.query<ZoneRow>(
      `SELECT ${zoneColumns} FROM read.zones
       WHERE tenant_id = $1 AND archived_at IS NULL AND zone_id > $2::uuid ${inBbox}${ofKind}${filter.sql}
       ORDER BY zone_id LIMIT $3`,
      [...params, ...filter.params],
    );
    return page(rows, limit, toFeature, (r) => r.zone_id);
  }

  /** Stays in one zone overlapping `[from, to)`, by entry then asset id (see `visitFilter`). */
  async visitsOfZone(scope: ReadScope, zoneId: string, w: Window, limit: number, after?: string) {
    const [at, id] = splitVisitCursor(after);
    const { joins, filter } = visitFilter(scope, 8);
    const { rows } = await this.pool.query<VisitRow>(
      `SELECT ${visitColumns} FROM read.zone_visits v${joins}
       WHERE v.tenant_id = $1 AND v.zone_id = $2 AND v.entered_at < $4 AND (v.exited_at IS NULL OR v.exited_at > $3)
         AND (v.entered_at, v.asset_id) > ($5::timestamptz, $6::uuid)${filter.sql}
       ORDER BY entered_at, asset_id LIMIT $7`,
      [scope.principal.tenantId, zoneId, w.from ?? FAR_PAST, w.to ?? FAR_FUTURE, at, id, limit + 1, ...filter.params],
    );
    return page(rows, limit, toVisit, (r) => `${r.entered_at}|${r.asset_id}`);
  }

  /** Stays of one asset overlapping `[from, to)`, by entry then zone id (see `visitFilter`). */
  async visitsOfAsset(scope: ReadScope, assetId: string, w: Window, limit: number, after?: string) {
    const [at, id] = splitVisitCursor(after);
    const { joins, filter } = visitFilter(scope, 8);
    const { rows } = await this.pool.query<VisitRow>(
      `SELECT ${visitColumns} FROM read.zone_visits v${joins}
       WHERE v.tenant_id = $1 AND v.asset_id = $2 AND v.entered_at < $4 AND (v.exited_at IS NULL OR v.exited_at > $3)
         AND (v.entered_at, v.zone_id) > ($5::timestamptz, $6::uuid)${filter.sql}
       ORDER BY entered_at, zone_id LIMIT $7`,
      [scope.principal.tenantId, assetId, w.from ?? FAR_PAST, w.to ?? FAR_FUTURE, at, id, limit + 1, ...filter.params],
    );
    return page(rows, limit, toVisit, (r) => `${r.entered_at}|${r.zone_id}`);
  }

  /** Open stays in a zone (the assets inside now), in asset id order (see `visitFilter`). */
  async inside(scope: ReadScope, zoneId: string, limit: number, after?: string): Promise<Page<ZoneVisit>> {
    const { joins, filter } = visitFilter(scope, 5);
    const { rows } = await this.pool.query<VisitRow>(
      `SELECT ${visitColumns} FROM read.zone_visits v${joins}
       WHERE v.tenant_id = $1 AND v.zone_id = $2 AND v.exited_at IS NULL AND v.asset_id > $3::uuid${filter.sql}
       ORDER BY asset_id LIMIT $4`,
      [scope.principal.tenantId, zoneId, after ?? MIN_UUID, limit + 1, ...filter.params],
    );
    return page(rows, limit, toVisit, (r) => r.asset_id);
  }
}
