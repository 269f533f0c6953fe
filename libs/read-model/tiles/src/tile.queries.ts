import type { Pool } from 'pg';
import { CodedError } from '@meridian/contracts/core';
import { TileErrors, type TileLayer, type TileWindow } from '@meridian/contracts/tiles';
import { TILE_BUFFER, TILE_EXTENT, tileBounds } from './tile-bounds';

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
}

/**
 * One layer's rows: `$1..$3` are z/x/y, `$4` the tenant, `$5..$8` the WGS 84 box, `$9` the cap
 * (the query keeps one more, to know whether the cap cut), `$10`/`$11` the window. Every row is
 * filtered by `geom && box` (the layer's GiST index) first, so no tile reads outside its envelope.
 *
 * A capped tile keeps the first rows in a total order, so that the same data always gives the
 * same tile (bytes and ETag): the newest first — the latest fixes of a positions window, the
 * assets heard from most recently — ties broken by id (`(asset_id, ts)` is unique in
 * read.positions). Zones have no time that matters on a map: by id, arbitrary but stable.
 * `order` sorts the source rows, `tileOrder` the tile's features (the same order, on the output
 * columns; ids compare as bytes, `COLLATE "C"`, like uuids, whatever the database's locale).
 */
interface LayerSql {
  readonly source: string;
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
    source: `SELECT asset_id, name, kind, status, ts, speed, heading, geom FROM read.asset_latest
      WHERE tenant_id = $4 AND name IS NOT NULL AND geom && ${box}`,
    columns: 'asset_id::text AS id, name, kind, status, (extract(epoch FROM ts) * 1000)::bigint AS ts, speed, heading',
    order: 'ts DESC NULLS LAST, asset_id',
    tileOrder: 'ts DESC NULLS LAST, id COLLATE "C"',
    points: true,
  },
  positions: {
    source: `SELECT asset_id, ts, speed, geom FROM read.positions
      WHERE tenant_id = $4 AND ts >= $10::timestamptz AND ts < $11::timestamptz AND geom && ${box}`,
    columns: 'asset_id::text AS asset_id, (extract(epoch FROM ts) * 1000)::bigint AS ts, speed',
    order: 'ts DESC, asset_id',
    tileOrder: 'ts DESC, asset_id COLLATE "C"',
    points: true,
  },
  zones: {
    source: `SELECT zone_id, name, kind, version, geom FROM read.zones
      WHERE archived_at IS NULL AND tenant_id = $4 AND geom && ${box}`,
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
const tileSql = (layer: TileLayer): string => {
  const { source, columns, order, tileOrder, points } = layerSql[layer];
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

const sqlByLayer: Readonly<Record<TileLayer, string>> = {
  assets: tileSql('assets'),
  positions: tileSql('positions'),
  zones: tileSql('zones'),
};

/** A tile is retried with fewer features at most this often before it is refused as too large. */
const SHRINK_ATTEMPTS = 3;

/**
 * Mapbox Vector Tiles of the read models, by ST_AsMVT. Every query is scoped to the tenant;
 * `positions` only reads the day partitions of its window.
 */
export class TileQueries {
  constructor(private readonly pool: Pool) {}

  /** The SQL text and parameters of one attempt (exported for EXPLAIN tests). */
  statement(
    layer: TileLayer,
    tenantId: string,
    { z, x, y }: TileAddress,
    limit: number,
    window?: TileWindow,
  ): { text: string; values: unknown[] } {
    const values: unknown[] = [z, x, y, tenantId, ...tileBounds(z, x, y), limit];
    if (layer === 'positions') {
      if (!window) throw new Error('a positions tile needs a window');
      values.push(window.from, window.to);
    }
    return { text: sqlByLayer[layer], values };
  }

  /**
   * The tile, its features capped at `limits.maxFeatures`. A tile over `limits.maxBytes` is made
   * again with proportionally fewer features (and says so); one still too large is TILE.TOO_LARGE.
   */
  async tile(
    layer: TileLayer,
    tenantId: string,
    address: TileAddress,
    limits: TileLimits,
    window?: TileWindow,
  ): Promise<Tile> {
    let limit = limits.maxFeatures;
    for (let attempt = 0; attempt <= SHRINK_ATTEMPTS; attempt++) {
      const { text, values } = this.statement(layer, tenantId, address, limit, window);
      const { rows } = await this.pool.query<{ matched: number; features: number; tile: Buffer }>(text, values);
      const { matched, features, tile } = rows[0];
      const truncated = matched > limit;
      if (tile.length <= limits.maxBytes) {
        return { bytes: tile, features, truncatedAt: truncated ? limit : null };
      }
      limit = Math.max(1, Math.floor((Math.min(limit, matched) * limits.maxBytes * 0.8) / tile.length));
    }
    throw new CodedError(
      TileErrors.tileTooLarge,
      `the ${layer} tile ${address.z}/${address.x}/${address.y} exceeds ${limits.maxBytes} bytes with few features`,
    );
  }
}
