import { CodedError, ErrorCodes } from '@meridian/contracts/core';
import type { OgcExtent, OgcFeature } from '@meridian/contracts/ogc';
import { attributeColumns, type ReadScope } from '@meridian/read-model/assets';
import {
  bboxCondition,
  cappedCount,
  bboxOf,
  type ExtentRow,
  instantCondition,
  iso,
  type ItemsFilter,
  keyset,
  type OgcCollectionSql,
  Params,
  type Statement,
  UUID,
} from './ogc-sql';

interface AssetRow {
  asset_id: string;
  name: string;
  kind: string;
  status: string;
  version: number;
  lon: number | null;
  lat: number | null;
  ts: Date | null;
  alt: number | null;
  speed: number | null;
  heading: number | null;
  battery: number | null;
  sensitivity: number;
  team: string | null;
}

const columns = `asset_id, name, kind, status, version, ST_X(geom) AS lon, ST_Y(geom) AS lat, ts, alt, speed, heading,
  battery, sensitivity, team`;

/** The rows the scope may see of a registered asset of its tenant (see `where`). */
const visible = (p: Params, scope: ReadScope): string =>
  `tenant_id = ${p.add(scope.principal.tenantId)} AND name IS NOT NULL` +
  p.filter(scope, 'assets:read', attributeColumns());

/**
 * Where the collection's rows come from: registered assets (a row whose registration has not been
 * projected yet, name IS NULL, is not an asset to readers), one per asset, its latest fix or none;
 * those the scope may see (`assets:read`).
 */
function where(p: Params, scope: ReadScope, filter: ItemsFilter): string {
  return visible(p, scope) + bboxCondition(p, filter.bbox) + instantCondition(p, filter.datetime, 'ts');
}

/**
 * `assets`: the latest position of each asset (geometry null before its first fix), in asset id
 * order. Its time is its last fix: a `datetime` filter keeps the assets last seen within it.
 */
export const assetsSql: OgcCollectionSql = {
  page(scope, filter, limit, after, direction): Statement {
    if (after !== undefined && !UUID.test(after)) throw new CodedError(ErrorCodes.cursorInvalid, 'not an asset cursor');
    const p = new Params();
    const w = where(p, scope, filter);
    const k = keyset(direction);
    const text =
      `SELECT ${columns} FROM read.asset_latest WHERE ${w}` +
      (after === undefined ? '' : ` AND asset_id ${k.cmp} ${p.add(after)}::uuid`) +
      ` ORDER BY asset_id${k.order} LIMIT ${p.add(limit + 1)}`;
    return { text, values: p.values };
  },

  count(scope, filter, cap): Statement {
    const p = new Params();
    return cappedCount(p, 'read.asset_latest', where(p, scope, filter), cap);
  },

  feature(scope, featureId): Statement | null {
    if (!UUID.test(featureId)) return null;
    const p = new Params();
    const id = p.add(featureId);
    return {
      text: `SELECT ${columns} FROM read.asset_latest WHERE asset_id = ${id} AND ${visible(p, scope)}`,
      values: p.values,
    };
  },

  extent(scope): Statement {
    const p = new Params();
    return {
      text: `SELECT ST_XMin(e) AS xmin, ST_YMin(e) AS ymin, ST_XMax(e) AS xmax, ST_YMax(e) AS ymax, first, last
        FROM (SELECT ST_Extent(geom) AS e, min(ts) AS first, max(ts) AS last FROM read.asset_latest
              WHERE ${visible(p, scope)}) s`,
      values: p.values,
    };
  },

  toFeature(row): OgcFeature {
    const r = row as unknown as AssetRow;
    return {
      type: 'Feature',
      id: r.asset_id,
      geometry: r.lon === null || r.lat === null ? null : { type: 'Point', coordinates: [r.lon, r.lat] },
      properties: {
        name: r.name,
        kind: r.kind,
        status: r.status,
        lastSeen: iso(r.ts),
        alt: r.alt,
        speed: r.speed,
        heading: r.heading,
        battery: r.battery,
        version: r.version,
        sensitivity: r.sensitivity,
        team: r.team,
      },
    };
  },

  toExtent(row): OgcExtent {
    const r = row as unknown as ExtentRow & { first: Date | null; last: Date | null };
    return { id: 'assets', bbox: bboxOf(r), interval: r.first ? [iso(r.first), iso(r.last)] : null };
  },
};
