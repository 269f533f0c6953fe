import type { Pool } from 'pg';
import type { AssetFeature, AssetKind, AssetPage, AssetStatus, NearestFeature } from '@meridian/contracts/assets';
import type { Bbox } from '@meridian/contracts/core';
import type { Permission } from '@meridian/shared/policy';
import { attributeColumns, type ReadScope, rowFilter } from './read-scope';

interface AssetRow {
  asset_id: string;
  name: string;
  kind: AssetKind;
  status: AssetStatus;
  version: number;
  lon: number | null;
  lat: number | null;
  ts: Date | null;
  speed: number | null;
  heading: number | null;
  sensitivity: number;
  team: string | null;
}

const columns = `asset_id, name, kind, status, version, ST_X(geom) AS lon, ST_Y(geom) AS lat, ts, speed, heading,
  sensitivity, team`;

const toFeature = (r: AssetRow): AssetFeature => ({
  type: 'Feature',
  id: r.asset_id,
  geometry: r.lon === null || r.lat === null ? null : { type: 'Point', coordinates: [r.lon, r.lat] },
  properties: {
    name: r.name,
    kind: r.kind,
    status: r.status,
    lastSeen: r.ts ? r.ts.toISOString() : null,
    speed: r.speed,
    heading: r.heading,
    version: r.version,
    sensitivity: r.sensitivity,
    team: r.team,
  },
});

const MIN_UUID = '00000000-0000-0000-0000-000000000000';

/** `limit + 1` rows were asked for: the extra one says whether another page follows. */
function pageOf(rows: readonly AssetRow[], limit: number): AssetPage {
  const more = rows.length > limit;
  const page = more ? rows.slice(0, limit) : rows;
  return { items: page.map(toFeature), after: more ? page[page.length - 1].asset_id : null };
}

/** An asset is what `assets:read` is about: its latest position, sensitivity and team. */
const READ: Permission = 'assets:read';
const attributes = attributeColumns();

/**
 * Reads of asset_latest. Every query is scoped to the caller's tenant and filtered by the
 * principal's row filter (`rowFilter`, nothing for an unrestricted one); a row whose registration
 * has not been projected yet (name IS NULL: a fix overtook it) is not yet an asset to readers.
 */
export class AssetQueries {
  constructor(private readonly pool: Pool) {}

  /**
   * One page of the assets in `bbox`, in asset id order after `after` (keyset paging: each page is
   * an index scan; ST_Intersects, not `&&` alone, which compares rounded boxes and lets points
   * just outside in, and an asset is never returned twice or skipped while paging).
   */
  async inBbox(scope: ReadScope, bbox: Bbox, limit: number, after?: string): Promise<AssetPage> {
    const filter = rowFilter(scope, READ, attributes, 8);
    const { rows } = await this.pool.query<AssetRow>(
      `SELECT ${columns} FROM read.asset_latest
       WHERE tenant_id = $1 AND name IS NOT NULL AND ST_Intersects(geom, ST_MakeEnvelope($2, $3, $4, $5, 4326))
         AND asset_id > $6::uuid${filter.sql}
       ORDER BY asset_id LIMIT $7`,
      [scope.principal.tenantId, ...bbox, after ?? MIN_UUID, limit + 1, ...filter.params],
    );
    return pageOf(rows, limit);
  }

  /** One page of every asset of the tenant, positioned or not, in asset id order after `after`. */
  async all(scope: ReadScope, limit: number, after?: string): Promise<AssetPage> {
    const filter = rowFilter(scope, READ, attributes, 4);
    const { rows } = await this.pool.query<AssetRow>(
      `SELECT ${columns} FROM read.asset_latest
       WHERE tenant_id = $1 AND name IS NOT NULL AND asset_id > $2::uuid${filter.sql}
       ORDER BY tenant_id, asset_id LIMIT $3`,
      [scope.principal.tenantId, after ?? MIN_UUID, limit + 1, ...filter.params],
    );
    return pageOf(rows, limit);
  }

  /**
   * Which ids are registered assets of the tenant, whoever asks: the gateway's check of telemetry
   * ingest, which is authorized by role (`telemetry:ingest`) at the gateway, not filtered by rows.
   */
  async existing(tenantId: string, assetIds: readonly string[]): Promise<string[]> {
    const { rows } = await this.pool.query<{ asset_id: string }>(
      `SELECT asset_id FROM read.asset_latest WHERE tenant_id = $1 AND asset_id = ANY($2::uuid[]) AND name IS NOT NULL`,
      [tenantId, assetIds],
    );
    return rows.map((r) => r.asset_id);
  }

  /**
   * Whether `assetId` is a registered asset of the tenant whose sensitivity and team the scope may
   * see for `permission` — its latest position aside: for its history (a track), the region
   * applies to each fix instead.
   */
  async known(scope: ReadScope, permission: Permission, assetId: string): Promise<boolean> {
    const unplaced = { ...scope, principal: { ...scope.principal, region: null } };
    const filter = rowFilter(unplaced, permission, attributes, 3);
    const { rows } = await this.pool.query(
      `SELECT 1 FROM read.asset_latest WHERE asset_id = $1 AND tenant_id = $2 AND name IS NOT NULL${filter.sql}`,
      [assetId, scope.principal.tenantId, ...filter.params],
    );
    return rows.length > 0;
  }

  /**
   * The `k` assets nearest to a point by latest position, nearest first: a KNN scan of the GiST
   * index on `(tenant_id, geom::geography)` (sphere distance, so metres at every latitude);
   * `distanceMeters` is that same sphere distance, so it grows down the list. Optional kind and
   * status filters are applied as the scan goes.
   */
  async nearest(
    scope: ReadScope,
    point: { readonly lon: number; readonly lat: number },
    k: number,
    filter: { readonly kind?: AssetKind; readonly status?: AssetStatus } = {},
  ): Promise<NearestFeature[]> {
    const rowsFilter = rowFilter(scope, READ, attributes, 7);
    const { rows } = await this.pool.query<AssetRow & { distance: number }>(
      `SELECT ${columns},
         ST_Distance(geom::geography, ST_SetSRID(ST_MakePoint($2, $3), 4326)::geography, false) AS distance
       FROM read.asset_latest
       WHERE tenant_id = $1 AND name IS NOT NULL AND geom IS NOT NULL
         AND ($5::text IS NULL OR kind = $5) AND ($6::text IS NULL OR status = $6)${rowsFilter.sql}
       ORDER BY geom::geography <-> ST_SetSRID(ST_MakePoint($2, $3), 4326)::geography
       LIMIT $4`,
      [
        scope.principal.tenantId,
        point.lon,
        point.lat,
        k,
        filter.kind ?? null,
        filter.status ?? null,
        ...rowsFilter.params,
      ],
    );
    return rows.map((r) => {
      const feature = toFeature(r);
      return { ...feature, properties: { ...feature.properties, distanceMeters: r.distance } };
    });
  }
}
