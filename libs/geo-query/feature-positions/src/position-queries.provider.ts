import type { Pool } from 'pg';
import {
  HEATMAP_MAX_CELLS,
  HEATMAP_MAX_FIXES,
  PositionQueryErrors,
  TRACK_MAX_VERTICES,
} from '@meridian/contracts/assets';
import { READ_POOL } from '@meridian/read-model/data-source';
import { PositionQueries } from '@meridian/read-model/positions';
import { type BaseConfig, CONFIG } from '@meridian/shared/service-kit';

/** One PositionQueries over the read pool, counting heatmaps at the resolutions projection keeps (`H3_RESOLUTIONS`). */
export const positionQueriesProvider = {
  provide: PositionQueries,
  useFactory: (pool: Pool, config: BaseConfig) =>
    new PositionQueries(
      pool,
      {
        maxTrackVertices: TRACK_MAX_VERTICES,
        maxHeatmapCells: HEATMAP_MAX_CELLS,
        maxHeatmapFixes: HEATMAP_MAX_FIXES,
        codes: PositionQueryErrors,
      },
      config.H3_RESOLUTIONS,
    ),
  inject: [READ_POOL, CONFIG],
};
