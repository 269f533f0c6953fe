import { CodedError, ErrorCodes } from '@meridian/contracts/core';
import type { OgcExtent, OgcFeature } from '@meridian/contracts/ogc';
import { assetAttributes, attributeColumns, type ReadScope } from '@meridian/read-model/assets';
import {
  bboxCondition,
  cappedCount,
  type ExtentRow,
  instantCondition,
  iso,
  type ItemsFilter,
  keyset,
  type OgcCollectionSql,
  Params,
  type Statement,
} from './ogc-sql';

interface PositionRow {
  asset_id: string;
  us: string;
  lon: number;
  lat: number;
  alt: number | null;
  speed: number | null;
  heading: number | null;
  battery: number | null;
  accuracy: number | null;
}

const POSITION_ID = /^([0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12})~(-?\d{1,17})$/;

/** A fix's instant as microseconds since the epoch (exact: extract returns numeric). */
const US = `(extract(epoch FROM p.ts) * 1000000)::bigint::text AS us`;
const columns = `p.asset_id, ${US}, ST_X(p.geom) AS lon, ST_Y(p.geom) AS lat, p.alt, p.speed, p.heading, p.battery,
  p.accuracy`;

/** RFC 3339 in UTC with the microseconds the id carries (milliseconds when that is all there is). */
export function instantOfMicros(us: string): string {
  const n = BigInt(us);
  const ms = n / 1000n - (n % 1000n < 0n ? 1n : 0n);
  const rest = ((n % 1000n) + 1000n) % 1000n;
  const base = new Date(Number(ms)).toISOString();
  return rest === 0n ? base : `${base.slice(0, -1)}${String(rest).padStart(3, '0')}Z`;
}

/** A position's feature id, `<assetId>~<epoch µs>`: stable, and the keyset of the collection's order. */
export const positionId = (assetId: string, us: string): string => `${assetId}~${us}`;

export function parsePositionId(id: string): { assetId: string; ts: string } | null {
  const m = POSITION_ID.exec(id);
  if (!m) return null;
  return { assetId: m[1], ts: instantOfMicros(m[2]) };
}

/**
 * The fixes (`p`) of the scope's tenant it may see (`positions:read`: each fix's point, its asset's
 * sensitivity and team, asset_latest joined for them only when the filter reads them).
 */
function visible(p: Params, scope: ReadScope): { from: string; where: string } {
  const { columns: filterColumns, join } = assetAttributes(scope.principal, 'p', 'p.geom');
  const where = `p.tenant_id = ${p.add(scope.principal.tenantId)}` + p.filter(scope, 'positions:read', filterColumns);
  return { from: `read.positions p${join}`, where };
}

function where(p: Params, scope: ReadScope, filter: ItemsFilter): { from: string; where: string } {
  const rows = visible(p, scope);
  const conditions = instantCondition(p, filter.datetime, 'p.ts') + bboxCondition(p, filter.bbox, 'p.geom');
  return { from: rows.from, where: rows.where + conditions };
}

/**
 * `positions`: every stored fix, in (asset, time) order, the order of the unique index
 * positions_asset_ts. The time window prunes day partitions; bbox uses positions_geom (GiST).
 */
export const positionsSql: OgcCollectionSql = {
  page(scope, filter, limit, after, direction): Statement {
    const key = after === undefined ? undefined : parsePositionId(after);
    if (key === null) throw new CodedError(ErrorCodes.cursorInvalid, 'not a position cursor');
    const p = new Params();
    const w = where(p, scope, filter);
    const k = keyset(direction);
    const text =
      `SELECT ${columns} FROM ${w.from} WHERE ${w.where}` +
      (key === undefined
        ? ''
        : ` AND (p.asset_id, p.ts) ${k.cmp} (${p.add(key.assetId)}::uuid, ${p.add(key.ts)}::timestamptz)`) +
      ` ORDER BY p.asset_id${k.order}, p.ts${k.order} LIMIT ${p.add(limit + 1)}`;
    return { text, values: p.values };
  },

  count(scope, filter, cap): Statement {
    const p = new Params();
    const w = where(p, scope, filter);
    return cappedCount(p, w.from, w.where, cap);
  },

  feature(scope, featureId): Statement | null {
    const key = parsePositionId(featureId);
    if (!key) return null;
    const p = new Params();
    const at = `p.asset_id = ${p.add(key.assetId)} AND p.ts = ${p.add(key.ts)}::timestamptz`;
    const rows = visible(p, scope);
    return { text: `SELECT ${columns} FROM ${rows.from} WHERE ${at} AND ${rows.where}`, values: p.values };
  },

  /**
   * The time extent runs from the start of the oldest day partition (a bound, not the first fix:
   * finding that exactly would scan history) to the tenant's newest fix (asset_latest, by tenant):
   * for a principal whose row filter hides anything, the newest fix of the assets whose latest fix
   * it may see. The spatial extent is the whole world: history can be anywhere, and an exact box
   * would scan it.
   */
  extent(scope): Statement {
    const p = new Params();
    const tenant = p.add(scope.principal.tenantId);
    const filter = p.filter(scope, 'positions:read', attributeColumns());
    return {
      text: `SELECT -180 AS xmin, -90 AS ymin, 180 AS xmax, 90 AS ymax, last,
          (SELECT to_date(min(substring(c.relname FROM 'positions_(\\d{8})')), 'YYYYMMDD')::timestamp AT TIME ZONE 'UTC'
             FROM pg_inherits i JOIN pg_class c ON c.oid = i.inhrelid
            WHERE i.inhparent = 'read.positions'::regclass) AS first
        FROM (SELECT max(ts) AS last FROM read.asset_latest WHERE tenant_id = ${tenant}${filter}) s`,
      values: p.values,
    };
  },

  toFeature(row): OgcFeature {
    const r = row as unknown as PositionRow;
    const ts = instantOfMicros(r.us);
    return {
      type: 'Feature',
      id: positionId(r.asset_id, r.us),
      geometry: { type: 'Point', coordinates: [r.lon, r.lat] },
      properties: {
        assetId: r.asset_id,
        ts,
        alt: r.alt,
        speed: r.speed,
        heading: r.heading,
        battery: r.battery,
        accuracy: r.accuracy,
      },
    };
  },

  toExtent(row): OgcExtent {
    const r = row as unknown as ExtentRow & { first: Date | null; last: Date | null };
    if (!r.last) return { id: 'positions', bbox: null, interval: null };
    return { id: 'positions', bbox: [-180, -90, 180, 90], interval: [iso(r.first), iso(r.last)] };
  },
};
