import type { Pool } from 'pg';
import { CodedError } from '@meridian/contracts/core';
import { TileErrors, type TileLayer, type TileWindow } from '@meridian/contracts/tiles';
import { assetAttributes, attributeColumns, type ReadScope, rowFilter } from '@meridian/read-model/assets';
import type { FilterColumns, Permission, PolicyPrincipal } from '@meridian/shared/policy';
import { TILE_BUFFER, TILE_EXTENT, tileBounds } from './tile-bounds';
import { aggregateResolution, type TileCellCount, type TileAggregation } from './tile-aggregation';

export interface TileAddress {
  readonly z: number;
  readonly x: number;
  readonly y: number;
}

export interface TileLimits {
  /** Features per layer per tile; past it the tile holds this many and says so in its `meta` layer. */
  readonly maxFeatures: number;
  /** Bytes per tile: a reply must fit one Kafka message (the broker's default limit is 1 MiB). */
  readonly maxBytes: number;
}

export interface Tile {
  /** The MVT bytes; empty when nothing of the layer lies in the tile. */
  readonly bytes: Buffer;
  /** Features in the tile's data layer. */
  readonly features: number;
  /** Set when more features matched than the tile holds: the cap it was cut to. */
  readonly truncatedAt: number | null;
  /** Set when the positions layer holds fix counts per H3 cell: their resolution and whole-hour window. */
  readonly aggregated: AggregatedWindow | null;
}

export interface AggregatedWindow {
  readonly resolution: number;
  readonly from: string;
  readonly to: string;
}

/**
 * One layer's rows: `$1..$3` are z/x/y, `$4` the tenant, `$5..$8` the WGS 84 box, `$9` the cap
 * (the query keeps one more, to know whether the cap cut), `$10`/`$11` the window, then the
 * parameters of the principal's row filter (`filter`: '' or ` AND (…)`, on the columns `access`
 * names, after the `join` it may need). Every row is filtered by `geom && box` (the layer's GiST
 * index) first, so no tile reads outside its envelope; the row filter then drops what the principal
 * may not see before the cap is applied, so a capped tile is the first visible rows.
 *
 * A capped tile keeps the first rows in a total order, so that the same data always gives the
 * same tile (bytes and ETag): the newest first — the latest fixes of a positions window, the
 * assets heard from most recently — ties broken by id (`(asset_id, ts)` is unique in
 * read.positions). Zones have no time that matters on a map: by id, arbitrary but stable.
 * `order` sorts the source rows, `tileOrder` the tile's features (the same order, on the output
 * columns; ids compare as bytes, `COLLATE "C"`, like uuids, whatever the database's locale).
 */
interface LayerSql {
  readonly permission: Permission;
  /** The row filter's columns, and the join that brings those the layer's table lacks. */
  readonly access: (principal: PolicyPrincipal) => { readonly columns: FilterColumns; readonly join: string };
  readonly source: (filter: string, join: string) => string;
  /** The feature properties, from the source row. */
  readonly columns: string;
  readonly order: string;
  readonly tileOrder: string;
  /**
   * Points never vanish in ST_AsMVTGeom (only lines and polygons smaller than a grid unit do), so
   * the cap is applied to the source rows — a top-N sort on plain columns — and only the kept
   * rows are transformed. Polygons are transformed first and the vanished ones dropped before the cap.
   */
  readonly points: boolean;
}

const box = 'ST_MakeEnvelope($5, $6, $7, $8, 4326)';

const layerSql: Readonly<Record<TileLayer, LayerSql>> = {
  assets: {
    permission: 'assets:read',
    access: () => ({ columns: attributeColumns(), join: '' }),
    source: (filter) => `SELECT asset_id, name, kind, status, ts, speed, heading, geom FROM read.asset_latest
      WHERE tenant_id = $4 AND name IS NOT NULL AND geom && ${box}${filter}`,
    columns: 'asset_id::text AS id, name, kind, status, (extract(epoch FROM ts) * 1000)::bigint AS ts, speed, heading',
    order: 'ts DESC NULLS LAST, asset_id',
    tileOrder: 'ts DESC NULLS LAST, id COLLATE "C"',
    points: true,
  },
  positions: {
    permission: 'positions:read',
    // Each fix: its own point against the region, its asset's sensitivity and team.
    access: (principal) => assetAttributes(principal, 'p', 'p.geom'),
    source: (filter, join) => `SELECT p.asset_id, p.ts, p.speed, p.geom FROM read.positions p${join}
      WHERE p.tenant_id = $4 AND p.ts >= $10::timestamptz AND p.ts < $11::timestamptz AND p.geom && ${box}${filter}`,
    columns: 'asset_id::text AS asset_id, (extract(epoch FROM ts) * 1000)::bigint AS ts, speed',
    order: 'ts DESC, asset_id',
    tileOrder: 'ts DESC, asset_id COLLATE "C"',
    points: true,
  },
  zones: {
    permission: 'zones:read',
    access: () => ({ columns: attributeColumns(), join: '' }),
    source: (filter) => `SELECT zone_id, name, kind, version, geom FROM read.zones
      WHERE archived_at IS NULL AND tenant_id = $4 AND geom && ${box}${filter}`,
    columns: 'zone_id::text AS id, name, kind, version',
    order: 'zone_id',
    tileOrder: 'id COLLATE "C"',
    points: false,
  },
};

const tileEnvelope = 'ST_TileEnvelope($1, $2, $3)';
/** ST_AsMVTGeom clips and quantises to the tile grid and drops what falls outside (or vanishes). */
const mvtGeom = `ST_AsMVTGeom(ST_Transform(geom, 3857), ${tileEnvelope}, ${TILE_EXTENT}, ${TILE_BUFFER}, true)`;

/**
 * The tile of one layer, plus a `meta` layer when the cap cut it: one point at the tile's centre
 * with `{layer, truncated: true, limit}`. Layers of an MVT are concatenated protobuf fields, so
 * the two ST_AsMVT results are joined with `||`. `hits` holds at most cap + 1 rows.
 */
const tileSql = (layer: TileLayer, filter: string, join: string): string => {
  const { columns, order, tileOrder, points } = layerSql[layer];
  const source = layerSql[layer].source(filter, join);
  const hits = points
    ? `SELECT ${columns}, ${mvtGeom} AS geom FROM (${source} ORDER BY ${order} LIMIT $9::int + 1) r`
    : `SELECT * FROM (SELECT ${columns}, ${mvtGeom} AS geom FROM (${source}) r) f
        WHERE geom IS NOT NULL ORDER BY ${tileOrder} LIMIT $9::int + 1`;
  return `
  WITH hits AS MATERIALIZED (${hits}),
  kept AS MATERIALIZED (SELECT * FROM hits WHERE geom IS NOT NULL ORDER BY ${tileOrder} LIMIT $9::int),
  counted AS (SELECT (SELECT count(*)::int FROM hits) AS n, (SELECT count(*)::int FROM kept) AS features)
  SELECT counted.n AS matched, counted.features,
    coalesce((SELECT ST_AsMVT(t, '${layer}', ${TILE_EXTENT}, 'geom') FROM kept t), ''::bytea)
    || CASE WHEN counted.n > $9::int THEN (
      SELECT ST_AsMVT(m, 'meta', ${TILE_EXTENT}, 'geom') FROM (
        SELECT ST_AsMVTGeom(ST_Centroid(ST_TileEnvelope($1, $2, $3)), ST_TileEnvelope($1, $2, $3)) AS geom,
          '${layer}'::text AS layer, true AS truncated, $9::int AS "limit"
      ) m
    ) ELSE ''::bytea END AS tile
  FROM counted`;
};

/** The SQL of an unfiltered scope's tiles (the tenant's every row), made once. */
const sqlByLayer: Readonly<Record<TileLayer, string>> = {
  assets: tileSql('assets', '', ''),
  positions: tileSql('positions', '', ''),
  zones: tileSql('zones', '', ''),
};

/**
 * An aggregated positions tile: `$1..$3` z/x/y, `$4..$7` the cells (centre lon/lat, count, H3
 * index), `$8` the resolution, `$9`/`$10` the whole-hour window counted. One point per cell at its
 * centre with `{cell, count}`, in cell order (the same counts always give the same bytes), and a
 * `meta` layer saying `{layer: 'positions', aggregated: true, resolution, from, to}`.
 */
const aggregatedSql = `
  WITH cells AS MATERIALIZED (
    SELECT c.cell, c.count,
      ST_AsMVTGeom(ST_Transform(ST_SetSRID(ST_MakePoint(c.lon, c.lat), 4326), 3857), ${tileEnvelope},
        ${TILE_EXTENT}, ${TILE_BUFFER}) AS geom
    FROM unnest($4::float8[], $5::float8[], $6::int[], $7::text[]) AS c(lon, lat, count, cell)
  ),
  kept AS MATERIALIZED (SELECT cell, count, geom FROM cells WHERE geom IS NOT NULL ORDER BY cell COLLATE "C")
  SELECT (SELECT count(*)::int FROM kept) AS features,
    CASE WHEN EXISTS (SELECT 1 FROM kept) THEN
      (SELECT ST_AsMVT(t, 'positions', ${TILE_EXTENT}, 'geom') FROM kept t)
      || (SELECT ST_AsMVT(m, 'meta', ${TILE_EXTENT}, 'geom') FROM (
        SELECT ST_AsMVTGeom(ST_Centroid(${tileEnvelope}), ${tileEnvelope}) AS geom,
          'positions'::text AS layer, true AS aggregated, $8::int AS resolution, $9::text AS "from", $10::text AS "to"
      ) m)
    ELSE ''::bytea END AS tile`;

/** A tile is retried with fewer features at most this often before it is refused as too large. */
const SHRINK_ATTEMPTS = 3;

/**
 * Mapbox Vector Tiles of the read models, by ST_AsMVT. Every query is scoped to the tenant and
 * filtered by the principal's row filter (assets: `assets:read`; positions: `positions:read`, each
 * fix's point, its asset's sensitivity and team; zones: `zones:read`); `positions` only reads the
 * day partitions of its window.
 */
export class TileQueries {
  /**
   * `aggregation`: when given, positions tiles below its zoom hold fix counts per H3 cell (from the
   * hourly counts kept at ingest) instead of fixes; without it every positions tile holds fixes.
   */
  constructor(
    private readonly pool: Pool,
    private readonly aggregation?: TileAggregation,
  ) {}

  /** The SQL text and parameters of one attempt (exported for EXPLAIN tests). */
  statement(
    layer: TileLayer,
    scope: ReadScope,
    { z, x, y }: TileAddress,
    limit: number,
    window?: TileWindow,
  ): { text: string; values: unknown[] } {
    const values: unknown[] = [z, x, y, scope.principal.tenantId, ...tileBounds(z, x, y), limit];
    if (layer === 'positions') {
      if (!window) throw new Error('a positions tile needs a window');
      values.push(window.from, window.to);
    }
    const { permission, access } = layerSql[layer];
    const { columns, join } = access(scope.principal);
    const filter = rowFilter(scope, permission, columns, values.length + 1);
    if (!filter.sql) return { text: sqlByLayer[layer], values };
    return { text: tileSql(layer, filter.sql, join), values: [...values, ...filter.params] };
  }

  /**
   * The tile, its features capped at `limits.maxFeatures`. A tile over `limits.maxBytes` is made
   * again with proportionally fewer features (and says so); one still too large is TILE.TOO_LARGE.
   * A positions tile below the aggregation zoom holds counts per H3 cell instead (see
   * `aggregatedTile`), unless no stored resolution can serve it.
   */
  async tile(
    layer: TileLayer,
    scope: ReadScope,
    address: TileAddress,
    limits: TileLimits,
    window?: TileWindow,
  ): Promise<Tile> {
    if (layer === 'positions' && window && this.aggregation && address.z < this.aggregation.belowZoom) {
      const aggregated = await this.aggregatedTile(this.aggregation, scope, address, limits, window);
      if (aggregated) return aggregated;
    }
    let limit = limits.maxFeatures;
    for (let attempt = 0; attempt <= SHRINK_ATTEMPTS; attempt++) {
      const { text, values } = this.statement(layer, scope, address, limit, window);
      const { rows } = await this.pool.query<{ matched: number; features: number; tile: Buffer }>(text, values);
      const { matched, features, tile } = rows[0];
      const truncated = matched > limit;
      if (tile.length <= limits.maxBytes) {
        return { bytes: tile, features, truncatedAt: truncated ? limit : null, aggregated: null };
      }
      limit = Math.max(1, Math.floor((Math.min(limit, matched) * limits.maxBytes * 0.8) / tile.length));
    }
    throw new CodedError(
      TileErrors.tileTooLarge,
      `the ${layer} tile ${address.z}/${address.x}/${address.y} exceeds ${limits.maxBytes} bytes with few features`,
    );
  }

  /** The SQL text and parameters of an aggregated positions tile over `cells` (exported for tests). */
  aggregatedStatement(
    { z, x, y }: TileAddress,
    cells: readonly TileCellCount[],
    counted: AggregatedWindow,
  ): { text: string; values: unknown[] } {
    return {
      text: aggregatedSql,
      values: [
        z,
        x,
        y,
        cells.map((c) => c.lon),
        cells.map((c) => c.lat),
        cells.map((c) => c.count),
        cells.map((c) => c.cell),
        counted.resolution,
        counted.from,
        counted.to,
      ],
    };
  }

  /**
   * A positions tile of fix counts per H3 cell: the resolution chosen for the zoom
   * (`aggregateResolution`), the counts of the cells whose centre lies in the tile and its buffer,
   * over the window widened to whole hours. A tile over the byte budget is made again one
   * resolution coarser; null when no stored resolution can serve (the caller reads the fixes).
   * A scope whose row filter hides anything gets counts of the fixes it may see, over the exact
   * window (the hourly counts cannot be filtered), or, when there are too many to count, null.
   */
  private async aggregatedTile(
    aggregation: TileAggregation,
    scope: ReadScope,
    address: TileAddress,
    limits: TileLimits,
    window: TileWindow,
  ): Promise<Tile | null> {
    const finest = aggregateResolution(address.z, aggregation.resolutions);
    if (finest === null) return null;
    const [w, s, e, n] = tileBounds(address.z, address.x, address.y);
    for (let resolution = finest; resolution >= 0; resolution--) {
      const counts = await aggregation.counter.cellCounts(scope, [w, s, e, n], window, resolution);
      if (!counts) return null;
      const counted = { resolution, from: counts.from, to: counts.to };
      const { text, values } = this.aggregatedStatement(address, counts.cells, counted);
      const { rows } = await this.pool.query<{ features: number; tile: Buffer }>(text, values);
      const { features, tile } = rows[0];
      if (tile.length <= limits.maxBytes) return { bytes: tile, features, truncatedAt: null, aggregated: counted };
    }
    throw new CodedError(
      TileErrors.tileTooLarge,
      `the aggregated positions tile ${address.z}/${address.x}/${address.y} exceeds ${limits.maxBytes} bytes`,
    );
  }
}
