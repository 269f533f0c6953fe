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
 * One layer's features: `$1..$3` are z/x/y, `$4` the tenant, `$5..$8` the WGS 84 box, `$9` the
 * cap (the query asks for one more, to know whether the cap cut), `$10`/`$11` the window. Every
 * feature is filtered by `geom && box` (the layer's GiST index) first, so no tile reads outside
 * its envelope; ST_AsMVTGeom clips and quantises to the tile grid and drops what falls outside.
 */
const features: Readonly<Record<TileLayer, string>> = {
  assets: `
    SELECT asset_id::text AS id, name, kind, status, (extract(epoch FROM ts) * 1000)::bigint AS ts, speed, heading,
      ST_AsMVTGeom(ST_Transform(geom, 3857), ST_TileEnvelope($1, $2, $3), ${TILE_EXTENT}, ${TILE_BUFFER}, true) AS geom
    FROM read.asset_latest
    WHERE tenant_id = $4 AND name IS NOT NULL AND geom && ST_MakeEnvelope($5, $6, $7, $8, 4326)`,
  positions: `
    SELECT asset_id::text AS asset_id, (extract(epoch FROM ts) * 1000)::bigint AS ts, speed,
      ST_AsMVTGeom(ST_Transform(geom, 3857), ST_TileEnvelope($1, $2, $3), ${TILE_EXTENT}, ${TILE_BUFFER}, true) AS geom
    FROM read.positions
    WHERE tenant_id = $4 AND ts >= $10::timestamptz AND ts < $11::timestamptz
      AND geom && ST_MakeEnvelope($5, $6, $7, $8, 4326)`,
  zones: `
    SELECT zone_id::text AS id, name, kind, version,
      ST_AsMVTGeom(ST_Transform(geom, 3857), ST_TileEnvelope($1, $2, $3), ${TILE_EXTENT}, ${TILE_BUFFER}, true) AS geom
    FROM read.zones
    WHERE archived_at IS NULL AND tenant_id = $4 AND geom && ST_MakeEnvelope($5, $6, $7, $8, 4326)`,
};

/**
 * The tile of one layer, plus a `meta` layer when the cap cut it: one point at the tile's centre
 * with `{layer, truncated: true, limit}`. Layers of an MVT are concatenated protobuf fields, so
 * the two ST_AsMVT results are joined with `||`.
 */
const tileSql = (layer: TileLayer): string => `
  WITH hits AS MATERIALIZED (
    SELECT * FROM (${features[layer]}) f WHERE geom IS NOT NULL LIMIT $9::int + 1
  ), counted AS (SELECT count(*)::int AS n FROM hits)
  SELECT counted.n AS matched,
    coalesce(
      (SELECT ST_AsMVT(t, '${layer}', ${TILE_EXTENT}, 'geom') FROM (SELECT * FROM hits LIMIT $9::int) t), ''::bytea
    )
    || CASE WHEN counted.n > $9::int THEN (
      SELECT ST_AsMVT(m, 'meta', ${TILE_EXTENT}, 'geom') FROM (
        SELECT ST_AsMVTGeom(ST_Centroid(ST_TileEnvelope($1, $2, $3)), ST_TileEnvelope($1, $2, $3)) AS geom,
          '${layer}'::text AS layer, true AS truncated, $9::int AS "limit"
      ) m
    ) ELSE ''::bytea END AS tile
  FROM counted`;

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
      const { rows } = await this.pool.query<{ matched: number; tile: Buffer }>(text, values);
      const { matched, tile } = rows[0];
      const truncated = matched > limit;
      if (tile.length <= limits.maxBytes) {
        return { bytes: tile, features: truncated ? limit : matched, truncatedAt: truncated ? limit : null };
      }
      limit = Math.max(1, Math.floor((Math.min(limit, matched) * limits.maxBytes * 0.8) / tile.length));
    }
    throw new CodedError(
      TileErrors.tileTooLarge,
      `the ${layer} tile ${address.z}/${address.x}/${address.y} exceeds ${limits.maxBytes} bytes with few features`,
    );
  }
}
