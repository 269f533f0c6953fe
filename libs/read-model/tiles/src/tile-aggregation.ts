import { getHexagonEdgeLengthAvg, UNITS } from 'h3-js';
import type { Bbox } from '@meridian/contracts/core';
import type { TileWindow } from '@meridian/contracts/tiles';
import type { ReadScope } from '@meridian/read-model/assets';

/** Ground size of one pixel of a 256-pixel tile at zoom 0 on the equator (km). */
const EQUATOR_KM_PER_PIXEL_Z0 = 40_075.016686 / 256;
/** A cell (two edges across) should cover at least this many pixels of a 256-pixel tile. */
export const AGGREGATE_CELL_PIXELS = 4;

/**
 * The H3 resolution of an aggregated positions tile at zoom `z`: the finest whose average cell
 * (two edges across) covers at least AGGREGATE_CELL_PIXELS pixels of a 256-pixel tile at the
 * equator (more towards the poles, where Web Mercator stretches), and never finer than the finest
 * resolution counted at ingest (coarser ones are exact roll-ups of it). Null when none is stored.
 * Zoom 0 → 1, 1–2 → 2, 3 → 3, 4 → 4, 5–6 → 5, 7 → 6, 8 and more → 7 (with 5,7 stored).
 */
export function aggregateResolution(z: number, stored: readonly number[]): number | null {
  if (stored.length === 0) return null;
  const finest = Math.max(...stored);
  const kmPerPixel = EQUATOR_KM_PER_PIXEL_Z0 / 2 ** z;
  let resolution = 0;
  while (
    resolution < finest &&
    2 * getHexagonEdgeLengthAvg(resolution + 1, UNITS.km) >= AGGREGATE_CELL_PIXELS * kmPerPixel
  ) {
    resolution++;
  }
  return resolution;
}

/** One H3 cell's fix count, placed at the cell's centre. */
export interface TileCellCount {
  readonly cell: string;
  readonly lon: number;
  readonly lat: number;
  readonly count: number;
}

/**
 * Fix counts per H3 cell over a window, from the hourly counts kept at ingest (PositionQueries'
 * `cellCounts`): the cells whose centre lies in `bbox`, the window widened to whole hours (`from`,
 * `to`); null when `resolution` is finer than every stored one. For a scope whose row filter hides
 * anything, counts of the fixes it may see instead (null when too many to count).
 */
export interface CellCounter {
  cellCounts(
    scope: ReadScope,
    bbox: Bbox,
    window: TileWindow,
    resolution: number,
  ): Promise<{ cells: TileCellCount[]; from: string; to: string } | null>;
}

/** Aggregation of the positions layer: below `belowZoom` a tile holds counts per cell, not fixes. */
export interface TileAggregation {
  readonly counter: CellCounter;
  /** The H3 resolutions counted at ingest (`H3_RESOLUTIONS`). */
  readonly resolutions: readonly number[];
  /** Positions tiles at zooms below this are aggregated (0: never). */
  readonly belowZoom: number;
}
