import type { TileLimits } from '@meridian/read-model/tiles';

export const TILE_LIMITS = Symbol('meridian.geo-query.tile-limits');

/**
 * Defaults: 10,000 features per layer per tile, and 640 KiB per tile, below the 768 KiB the
 * messaging layer puts in one produce request and the broker's default 1 MiB message limit.
 */
export const defaultTileLimits: TileLimits = { maxFeatures: 10_000, maxBytes: 640 * 1024 };

/**
 * Positions tiles at zooms below this hold fix counts per H3 cell (ADR 0020): zoom 0–9 by default,
 * where a tile over a long window would otherwise read hundreds of thousands of fixes.
 */
export const DEFAULT_TILE_AGGREGATE_BELOW_ZOOM = 10;

export interface TileSettings extends TileLimits {
  /** Positions tiles below this zoom are aggregated (0: never). */
  readonly aggregateBelowZoom: number;
}
