import { CodedError, ErrorCodes } from '@meridian/contracts/core';
import type { OgcExtent, OgcFeature } from '@meridian/contracts/ogc';
import { attributeColumns, type ReadScope } from '@meridian/read-model/assets';
import {
  bboxCondition,
  cappedCount,
  bboxOf,
  type ExtentRow,
  iso,
  type ItemsFilter,
  keyset,
  type OgcCollectionSql,
  Params,
  type Statement,
  UUID,
} from './ogc-sql';

interface ZoneRow {
  zone_id: string;
  name: string;
  kind: string;
  geometry: string;
  valid_from: Date | null;
  valid_to: Date | null;
  sensitivity: number;
  team: string | null;
  version: number;
  created_at: Date;
  updated_at: Date;
}

const columns = `zone_id, name, kind, ST_AsGeoJSON(geom) AS geometry, valid_from, valid_to, sensitivity, team,
  version, created_at, updated_at`;

/** The live zones of the scope's tenant it may see (`zones:read`). */
const visible = (p: Params, scope: ReadScope): string =>
  `tenant_id = ${p.add(scope.principal.tenantId)} AND archived_at IS NULL` +
  p.filter(scope, 'zones:read', attributeColumns());

/**
 * Live zones (not archived). A zone's time is its validity window `[validFrom, validTo)`, either end
 * open: it matches a `datetime` interval it overlaps (an instant: the window contains it).
 */
function where(p: Params, scope: ReadScope, filter: ItemsFilter): string {
  let sql = visible(p, scope) + bboxCondition(p, filter.bbox);
  const d = filter.datetime;
  if (d?.end != null) sql += ` AND (valid_from IS NULL OR valid_from <= ${p.add(d.end)}::timestamptz)`;
  if (d?.start != null) {
    const start = p.add(d.start);
    // An instant is inside [from, to); an interval [a, b] overlaps it when to > a.
    sql += ` AND (valid_to IS NULL OR valid_to > ${start}::timestamptz)`;
  }
  return sql;
}

/**
 * `zones`: the tenant's live zones, in zone id order. A polygon's GeoJSON can be hundreds of KB, so
 * pages are read through a cursor up to the byte budget (`OgcReads`), never `limit + 1` at once.
 */
export const zonesSql: OgcCollectionSql = {
  variableRowSize: true,

  page(scope, filter, limit, after, direction): Statement {
    if (after !== undefined && !UUID.test(after)) throw new CodedError(ErrorCodes.cursorInvalid, 'not a zone cursor');
    const p = new Params();
    const w = where(p, scope, filter);
    const k = keyset(direction);
    const text =
      `SELECT ${columns} FROM read.zones WHERE ${w}` +
      (after === undefined ? '' : ` AND zone_id ${k.cmp} ${p.add(after)}::uuid`) +
      ` ORDER BY zone_id${k.order} LIMIT ${p.add(limit + 1)}`;
    return { text, values: p.values };
  },

  count(scope, filter, cap): Statement {
    const p = new Params();
    return cappedCount(p, 'read.zones', where(p, scope, filter), cap);
  },

  feature(scope, featureId): Statement | null {
    if (!UUID.test(featureId)) return null;
    const p = new Params();
    const id = p.add(featureId);
    return {
      text: `SELECT ${columns} FROM read.zones WHERE zone_id = ${id} AND ${visible(p, scope)}`,
      values: p.values,
    };
  },

  extent(scope): Statement {
    const p = new Params();
    return {
      text: `SELECT ST_XMin(e) AS xmin, ST_YMin(e) AS ymin, ST_XMax(e) AS xmax, ST_YMax(e) AS ymax, n,
          CASE WHEN open_start THEN NULL ELSE first END AS first, CASE WHEN open_end THEN NULL ELSE last END AS last
        FROM (SELECT ST_Extent(geom) AS e, count(*)::int AS n, min(valid_from) AS first, max(valid_to) AS last,
                bool_or(valid_from IS NULL) AS open_start, bool_or(valid_to IS NULL) AS open_end
              FROM read.zones WHERE ${visible(p, scope)}) s`,
      values: p.values,
    };
  },

  toFeature(row): OgcFeature {
    const r = row as unknown as ZoneRow;
    return {
      type: 'Feature',
      id: r.zone_id,
      geometry: JSON.parse(r.geometry) as Record<string, unknown>,
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
      },
    };
  },

  toExtent(row): OgcExtent {
    const r = row as unknown as ExtentRow & { n: number; first: Date | null; last: Date | null };
    return { id: 'zones', bbox: bboxOf(r), interval: r.n > 0 ? [iso(r.first), iso(r.last)] : null };
  },
};
