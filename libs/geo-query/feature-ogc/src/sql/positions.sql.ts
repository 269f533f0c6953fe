import { CodedError, ErrorCodes } from '@meridian/contracts/core';
import type { OgcExtent, OgcFeature } from '@meridian/contracts/ogc';
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
const US = `(extract(epoch FROM ts) * 1000000)::bigint::text AS us`;
const columns = `asset_id, ${US}, ST_X(geom) AS lon, ST_Y(geom) AS lat, alt, speed, heading, battery, accuracy`;

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

function where(p: Params, tenantId: string, filter: ItemsFilter): string {
  return `tenant_id = ${p.add(tenantId)}` + instantCondition(p, filter.datetime, 'ts') + bboxCondition(p, filter.bbox);
}

/**
 * `positions`: every stored fix, in (asset, time) order, the order of the unique index
 * positions_asset_ts. The time window prunes day partitions; bbox uses positions_geom (GiST).
 */
export const positionsSql: OgcCollectionSql = {
  page(tenantId, filter, limit, after, direction): Statement {
    const key = after === undefined ? undefined : parsePositionId(after);
    if (key === null) throw new CodedError(ErrorCodes.cursorInvalid, 'not a position cursor');
    const p = new Params();
    const w = where(p, tenantId, filter);
    const k = keyset(direction);
    const text =
      `SELECT ${columns} FROM read.positions WHERE ${w}` +
      (key === undefined
        ? ''
        : ` AND (asset_id, ts) ${k.cmp} (${p.add(key.assetId)}::uuid, ${p.add(key.ts)}::timestamptz)`) +
      ` ORDER BY asset_id${k.order}, ts${k.order} LIMIT ${p.add(limit + 1)}`;
    return { text, values: p.values };
  },

  count(tenantId, filter, cap): Statement {
    const p = new Params();
    return cappedCount(p, 'read.positions', where(p, tenantId, filter), cap);
  },

  feature(tenantId, featureId): Statement | null {
    const key = parsePositionId(featureId);
    if (!key) return null;
    return {
      text: `SELECT ${columns} FROM read.positions WHERE asset_id = $1 AND ts = $2::timestamptz AND tenant_id = $3`,
      values: [key.assetId, key.ts, tenantId],
    };
  },

  /**
   * The time extent runs from the start of the oldest day partition (a bound, not the first fix:
   * finding that exactly would scan history) to the tenant's newest fix (asset_latest, by tenant).
   * The spatial extent is the whole world: history can be anywhere, and an exact box would scan it.
   */
  extent(tenantId): Statement {
    return {
      text: `SELECT -180 AS xmin, -90 AS ymin, 180 AS xmax, 90 AS ymax, last,
          (SELECT to_date(min(substring(c.relname FROM 'positions_(\\d{8})')), 'YYYYMMDD')::timestamp AT TIME ZONE 'UTC'
             FROM pg_inherits i JOIN pg_class c ON c.oid = i.inhrelid
            WHERE i.inhparent = 'read.positions'::regclass) AS first
        FROM (SELECT max(ts) AS last FROM read.asset_latest WHERE tenant_id = $1) s`,
      values: [tenantId],
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
