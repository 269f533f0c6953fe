/** The latitude where the square Web Mercator world ends (atan(sinh(π)) in degrees). */
export const MERCATOR_MAX_LAT = 85.0511287798066;

/** MVT grid and buffer, as ST_AsMVTGeom uses them: 4096 units per tile side, 64 units of margin. */
export const TILE_EXTENT = 4096;
export const TILE_BUFFER = 64;

/** `[west, south, east, north]` in WGS 84. */
export type LonLatBounds = readonly [number, number, number, number];

const lonOf = (x: number, n: number): number => (x / n) * 360 - 180;
const latOf = (y: number, n: number): number => (Math.atan(Math.sinh(Math.PI * (1 - (2 * y) / n))) * 180) / Math.PI;
const clamp = (v: number, limit: number): number => Math.max(-limit, Math.min(limit, v));

/**
 * The WGS 84 box a tile's features come from: the tile grown by `margin` (a fraction of its side,
 * the MVT buffer), clamped to the Web Mercator world (±180°, ±85.0511°). Computed here rather than
 * by ST_Transform(ST_TileEnvelope(…, margin)) because a margin past the world's edge transforms to
 * longitudes beyond ±180°, and a constant box lets the planner estimate the GiST scan exactly.
 */
export function tileBounds(z: number, x: number, y: number, margin = TILE_BUFFER / TILE_EXTENT): LonLatBounds {
  const n = 2 ** z;
  return [
    clamp(lonOf(x - margin, n), 180),
    clamp(latOf(y + 1 + margin, n), MERCATOR_MAX_LAT),
    clamp(lonOf(x + 1 + margin, n), 180),
    clamp(latOf(y - margin, n), MERCATOR_MAX_LAT),
  ];
}
