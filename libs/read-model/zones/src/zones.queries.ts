import type { Pool } from 'pg';
import { type Bbox, CodedError, ErrorCodes } from '@meridian/contracts/core';
import type { ZoneFeature, ZoneGeometry, ZoneKind, ZoneVisit } from '@meridian/contracts/zones';

interface ZoneRow {
  zone_id: string;
  name: string;
  kind: ZoneKind;
  geometry: string;
  valid_from: Date | null;
  valid_to: Date | null;
  sensitivity: number;
  version: number;
  created_at: Date;
  updated_at: Date;
  archived_at: Date | null;
}

const iso = (d: Date | null): string | null => (d ? d.toISOString() : null);
const zoneColumns = `zone_id, name, kind, ST_AsGeoJSON(geom) AS geometry, valid_from, valid_to, sensitivity, version,
  created_at, updated_at, archived_at`;

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
const visitColumns = `zone_id, asset_id, ${micro('entered_at')} AS entered_at, ${micro('exited_at')} AS exited_at`;
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

export interface Window {
  readonly from?: string;
  readonly to?: string;
}

/** Reads of zones and zone_visits, all scoped to the caller's tenant; keyset-paged. */
export class ZoneQueries {
  constructor(private readonly pool: Pool) {}

  /** One zone, archived or not. */
  async get(tenantId: string, zoneId: string): Promise<ZoneFeature | null> {
    const { rows } = await this.pool.query<ZoneRow>(
      `SELECT ${zoneColumns} FROM read.zones WHERE zone_id = $1 AND tenant_id = $2`,
      [zoneId, tenantId],
    );
    return rows[0] ? toFeature(rows[0]) : null;
  }

  /** Live zones (intersecting `bbox` when given), in zone id order after `after`. */
  async list(tenantId: string, limit: number, bbox?: Bbox, after?: string): Promise<Page<ZoneFeature>> {
    const params: unknown[] = [tenantId, after ?? MIN_UUID, limit + 1];
    const inBbox = bbox ? `AND ST_Intersects(geom, ST_MakeEnvelope($4, $5, $6, $7, 4326))` : '';
    if (bbox) params.push(...bbox);
    const { rows } = await this.pool.query<ZoneRow>(
      `SELECT ${zoneColumns} FROM read.zones
       WHERE tenant_id = $1 AND archived_at IS NULL AND zone_id > $2::uuid ${inBbox}
       ORDER BY zone_id LIMIT $3`,
      params,
    );
    return page(rows, limit, toFeature, (r) => r.zone_id);
  }

  /** Stays in one zone overlapping `[from, to)`, by entry then asset id. */
  async visitsOfZone(tenantId: string, zoneId: string, w: Window, limit: number, after?: string) {
    const [at, id] = splitVisitCursor(after);
    const { rows } = await this.pool.query<VisitRow>(
      `SELECT ${visitColumns} FROM read.zone_visits
       WHERE tenant_id = $1 AND zone_id = $2 AND entered_at < $4 AND (exited_at IS NULL OR exited_at > $3)
         AND (entered_at, asset_id) > ($5::timestamptz, $6::uuid)
       ORDER BY entered_at, asset_id LIMIT $7`,
      [tenantId, zoneId, w.from ?? FAR_PAST, w.to ?? FAR_FUTURE, at, id, limit + 1],
    );
    return page(rows, limit, toVisit, (r) => `${r.entered_at}|${r.asset_id}`);
  }

  /** Stays of one asset overlapping `[from, to)`, by entry then zone id. */
  async visitsOfAsset(tenantId: string, assetId: string, w: Window, limit: number, after?: string) {
    const [at, id] = splitVisitCursor(after);
    const { rows } = await this.pool.query<VisitRow>(
      `SELECT ${visitColumns} FROM read.zone_visits
       WHERE tenant_id = $1 AND asset_id = $2 AND entered_at < $4 AND (exited_at IS NULL OR exited_at > $3)
         AND (entered_at, zone_id) > ($5::timestamptz, $6::uuid)
       ORDER BY entered_at, zone_id LIMIT $7`,
      [tenantId, assetId, w.from ?? FAR_PAST, w.to ?? FAR_FUTURE, at, id, limit + 1],
    );
    return page(rows, limit, toVisit, (r) => `${r.entered_at}|${r.zone_id}`);
  }

  /** Open stays in a zone (the assets inside now), in asset id order. */
  async inside(tenantId: string, zoneId: string, limit: number, after?: string): Promise<Page<ZoneVisit>> {
    const { rows } = await this.pool.query<VisitRow>(
      `SELECT ${visitColumns} FROM read.zone_visits
       WHERE tenant_id = $1 AND zone_id = $2 AND exited_at IS NULL AND asset_id > $3::uuid
       ORDER BY asset_id LIMIT $4`,
      [tenantId, zoneId, after ?? MIN_UUID, limit + 1],
    );
    return page(rows, limit, toVisit, (r) => r.asset_id);
  }
}
