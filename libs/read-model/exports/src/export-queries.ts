import type { ExportFilter, ExportKind } from '@meridian/contracts/exports';
import { assetAttributes, attributeColumns, type ReadScope, rowFilter } from '@meridian/read-model/assets';
import { missionColumns } from '@meridian/read-model/missions';
import { can } from '@meridian/shared/policy';

/**
 * How a column's COPY text is written: `uuid` and `instant` (RFC 3339, UTC, microseconds) need no
 * escaping, `number` is a PostgreSQL float or integer, `text` any string, `uuids` ids joined by `;`,
 * `geojson` a GeoJSON geometry.
 */
export type ExportColumnType = 'uuid' | 'instant' | 'number' | 'text' | 'uuids' | 'geojson';

export interface ExportColumn {
  /** CSV header. */
  readonly name: string;
  /** Property name in GeoJSON/NDJSON features; null when the column is only the geometry or the id. */
  readonly property: string | null;
  readonly type: ExportColumnType;
}

/** What a kind's rows hold, in the order its SELECT returns them, and how they become features. */
export interface ExportLayout {
  readonly kind: ExportKind;
  readonly columns: readonly ExportColumn[];
  /** The feature's geometry: a point from two number columns, a GeoJSON column, or none (null). */
  readonly geometry:
    | { readonly type: 'point'; readonly lon: number; readonly lat: number }
    | { readonly type: 'geojson'; readonly column: number }
    | null;
  /** The column that is the feature's id, if any. */
  readonly id: number | null;
}

/** One export's statements: the rows (for `COPY (…) TO STDOUT`) and their count, with their parameters. */
export interface ExportStatement {
  readonly layout: ExportLayout;
  readonly select: string;
  readonly count: string;
  readonly params: readonly unknown[];
}

/** A microsecond RFC 3339 instant in UTC (as zone visits' cursors write them). */
const instant = (column: string): string => `to_char(${column} AT TIME ZONE 'UTC', 'YYYY-MM-DD"T"HH24:MI:SS.US"Z"')`;

const col = (name: string, property: string | null, type: ExportColumnType): ExportColumn => ({
  name,
  property,
  type,
});

export const positionsLayout: ExportLayout = {
  kind: 'positions',
  columns: [
    col('asset_id', 'assetId', 'uuid'),
    col('ts', 'ts', 'instant'),
    col('lon', null, 'number'),
    col('lat', null, 'number'),
    col('alt', 'alt', 'number'),
    col('speed', 'speed', 'number'),
    col('heading', 'heading', 'number'),
    col('accuracy', 'accuracy', 'number'),
  ],
  geometry: { type: 'point', lon: 2, lat: 3 },
  id: null,
};

export const visitsLayout: ExportLayout = {
  kind: 'visits',
  columns: [
    col('zone_id', 'zoneId', 'uuid'),
    col('zone_name', 'zoneName', 'text'),
    col('asset_id', 'assetId', 'uuid'),
    col('entered_at', 'enteredAt', 'instant'),
    col('exited_at', 'exitedAt', 'instant'),
  ],
  geometry: null,
  id: null,
};

export const missionsLayout: ExportLayout = {
  kind: 'missions',
  columns: [
    col('id', null, 'uuid'),
    col('title', 'title', 'text'),
    col('state', 'state', 'text'),
    col('priority', 'priority', 'number'),
    col('definition_key', 'definitionKey', 'text'),
    col('definition_version', 'definitionVersion', 'number'),
    col('window_start', 'windowStart', 'instant'),
    col('window_end', 'windowEnd', 'instant'),
    col('deadline', 'deadline', 'instant'),
    col('asset_ids', 'assetIds', 'uuids'),
    col('created_at', 'createdAt', 'instant'),
    col('updated_at', 'updatedAt', 'instant'),
    col('area', null, 'geojson'),
  ],
  geometry: { type: 'geojson', column: 12 },
  id: 0,
};

/** Builds a statement's parameters: `param(v)` appends `v` and answers its `$n`. */
class Params {
  readonly values: unknown[] = [];
  param(value: unknown): string {
    return `$${this.values.push(value)}`;
  }
  envelope([minLon, minLat, maxLon, maxLat]: readonly number[]): string {
    return `ST_MakeEnvelope(${[minLon, minLat, maxLon, maxLat].map((v) => this.param(v)).join(', ')}, 4326)`;
  }
  get next(): number {
    return this.values.length + 1;
  }
}

/** The zone of `zoneId` in the tenant, as `zf` (the job checked at start that the principal may see it). */
const zoneJoin = (p: Params, zoneId: string): string =>
  ` JOIN read.zones zf ON zf.zone_id = ${p.param(zoneId)}::uuid AND zf.tenant_id = $1`;

/**
 * Fixes in `[from, to)` (and the bbox, the zone, the assets when given) that the principal may read,
 * filtered as the position queries filter them (`positions:read`: each fix's own point against the
 * region, its asset's sensitivity and team). Unordered: day partitions come in order, and sorting a
 * week of fixes would cost the server a sort on disk for nothing the format needs.
 */
function positions(scope: ReadScope, f: ExportFilter): ExportStatement {
  const p = new Params();
  p.param(scope.principal.tenantId);
  let from = 'read.positions p';
  let where = `p.tenant_id = $1 AND p.ts >= ${p.param(f.from)}::timestamptz AND p.ts < ${p.param(f.to)}::timestamptz`;
  if (f.bbox) where += ` AND ST_Intersects(p.geom, ${p.envelope(f.bbox)})`;
  if (f.zoneId) {
    from += zoneJoin(p, f.zoneId);
    where += ' AND ST_Intersects(p.geom, zf.geom)';
  }
  if (f.assetIds) where += ` AND p.asset_id = ANY(${p.param(f.assetIds)}::uuid[])`;
  const { columns, join } = assetAttributes(scope.principal, 'p', 'p.geom');
  const policy = rowFilter(scope, 'positions:read', columns, p.next);
  p.values.push(...policy.params);
  from += join;
  where += policy.sql;
  return {
    layout: positionsLayout,
    select:
      `SELECT p.asset_id, ${instant('p.ts')}, ST_X(p.geom), ST_Y(p.geom), p.alt, p.speed, p.heading, p.accuracy ` +
      `FROM ${from} WHERE ${where}`,
    count: `SELECT count(*)::float8 AS n FROM ${from} WHERE ${where}`,
    params: p.values,
  };
}

/**
 * Stays overlapping `[from, to)` (in the zone, in zones intersecting the bbox, of the assets, when
 * given), filtered as the zone-visit queries filter them: the stay's zone as a zone (its geometry
 * against the region, its sensitivity and team), its asset by sensitivity and team. Exporting stays
 * needs `positions:read` too (they tell where assets were). By entry, then asset.
 */
function visits(scope: ReadScope, f: ExportFilter): ExportStatement {
  const p = new Params();
  p.param(scope.principal.tenantId);
  let from = 'read.zone_visits v JOIN read.zones z ON z.zone_id = v.zone_id AND z.tenant_id = v.tenant_id';
  let where =
    `v.tenant_id = $1 AND v.entered_at < ${p.param(f.to)}::timestamptz` +
    ` AND (v.exited_at IS NULL OR v.exited_at > ${p.param(f.from)}::timestamptz)`;
  if (f.zoneId) where += ` AND v.zone_id = ${p.param(f.zoneId)}::uuid`;
  if (f.bbox) where += ` AND ST_Intersects(z.geom, ${p.envelope(f.bbox)})`;
  if (f.assetIds) where += ` AND v.asset_id = ANY(${p.param(f.assetIds)}::uuid[])`;
  if (!can(scope.principal, 'positions:read', scope.now)) where += ' AND FALSE';
  const zone = rowFilter(scope, 'zones:read', attributeColumns('z.'), p.next);
  p.values.push(...zone.params);
  const unplaced = { ...scope, principal: { ...scope.principal, region: null } };
  const asset = assetAttributes(scope.principal, 'v', null);
  const ofAsset = rowFilter(unplaced, 'zones:read', asset.columns, p.next);
  p.values.push(...ofAsset.params);
  if (ofAsset.sql) from += asset.join;
  where += zone.sql + ofAsset.sql;
  return {
    layout: visitsLayout,
    select:
      `SELECT v.zone_id, z.name, v.asset_id, ${instant('v.entered_at')}, ${instant('v.exited_at')} ` +
      `FROM ${from} WHERE ${where} ORDER BY v.entered_at, v.asset_id, v.zone_id`,
    count: `SELECT count(*)::float8 AS n FROM ${from} WHERE ${where}`,
    params: p.values,
  };
}

/**
 * Missions whose window overlaps `[from, to)` (whose area intersects the bbox or the zone, that
 * involve one of the assets, when given), filtered as the mission queries filter them
 * (`missions:read`, the area against the region). By id.
 */
function missions(scope: ReadScope, f: ExportFilter): ExportStatement {
  const p = new Params();
  p.param(scope.principal.tenantId);
  let from = 'read.missions m';
  let where =
    `m.tenant_id = $1 AND m."window" && ` +
    `tstzrange(${p.param(f.from)}::timestamptz, ${p.param(f.to)}::timestamptz, '[)')`;
  if (f.bbox) where += ` AND ST_Intersects(m.area, ${p.envelope(f.bbox)})`;
  if (f.zoneId) {
    from += zoneJoin(p, f.zoneId);
    where += ' AND ST_Intersects(m.area, zf.geom)';
  }
  if (f.assetIds) where += ` AND m.asset_ids && ${p.param(f.assetIds)}::uuid[]`;
  const policy = rowFilter(scope, 'missions:read', missionColumns('m.'), p.next);
  p.values.push(...policy.params);
  where += policy.sql;
  return {
    layout: missionsLayout,
    select:
      `SELECT m.id, m.title, m.state, m.priority, m.definition_key, m.definition_version, ` +
      `${instant('lower(m."window")')}, ${instant('upper(m."window")')}, ${instant('m.deadline')}, ` +
      `array_to_string(m.asset_ids, ';'), ${instant('m.created_at')}, ${instant('m.updated_at')}, ` +
      `ST_AsGeoJSON(m.area) FROM ${from} WHERE ${where} ORDER BY m.id`,
    count: `SELECT count(*)::float8 AS n FROM ${from} WHERE ${where}`,
    params: p.values,
  };
}

/** The statements of an export of `filter` for `scope`: the rows the principal's queries would show. */
export function exportStatement(scope: ReadScope, filter: ExportFilter): ExportStatement {
  switch (filter.kind) {
    case 'positions':
      return positions(scope, filter);
    case 'visits':
      return visits(scope, filter);
    case 'missions':
      return missions(scope, filter);
    default: {
      const never: never = filter.kind;
      throw new Error(`unknown export kind ${String(never)}`);
    }
  }
}
