import type { TileLimits } from '@meridian/read-model/tiles';

export const TILE_LIMITS = Symbol('meridian.geo-query.tile-limits');

/**
 * Defaults: 10,000 features per layer per tile, and 640 KiB per tile, below the 768 KiB the
 * messaging layer puts in one produce request and the broker's default 1 MiB message limit.
 */
export const defaultTileLimits: TileLimits = { maxFeatures: 10_000, maxBytes: 640 * 1024 };
