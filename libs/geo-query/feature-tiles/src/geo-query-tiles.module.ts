import { type DynamicModule, Module } from '@nestjs/common';
import type { Pool } from 'pg';
import {
  HEATMAP_MAX_CELLS,
  HEATMAP_MAX_FIXES,
  PositionQueryErrors,
  TRACK_MAX_VERTICES,
} from '@meridian/contracts/assets';
import { READ_POOL } from '@meridian/read-model/data-source';
import { PositionQueries } from '@meridian/read-model/positions';
import { TileQueries } from '@meridian/read-model/tiles';
import { type BaseConfig, CONFIG } from '@meridian/shared/service-kit';
import { GetTileHandler } from './get-tile/get-tile.handler';
import { DEFAULT_TILE_AGGREGATE_BELOW_ZOOM, defaultTileLimits, TILE_LIMITS, type TileSettings } from './tile-settings';

/**
 * Vector tiles (`meridian.geo-query.tile.get.v1`) of the assets, positions and zones layers.
 * Positions tiles below `aggregateBelowZoom` are counts per H3 cell, read by a PositionQueries
 * built as geo-query's positions feature builds its own, at the resolutions of `H3_RESOLUTIONS`.
 */
@Module({})
export class GeoQueryTilesModule {
  static forRoot(settings: Partial<TileSettings> = {}): DynamicModule {
    const { aggregateBelowZoom = DEFAULT_TILE_AGGREGATE_BELOW_ZOOM, ...limits } = settings;
    return {
      module: GeoQueryTilesModule,
      controllers: [GetTileHandler],
      providers: [
        {
          provide: TileQueries,
          useFactory: (pool: Pool, config: BaseConfig) => {
            const resolutions = config.H3_RESOLUTIONS;
            const counter = new PositionQueries(
              pool,
              {
                maxTrackVertices: TRACK_MAX_VERTICES,
                maxHeatmapCells: HEATMAP_MAX_CELLS,
                maxHeatmapFixes: HEATMAP_MAX_FIXES,
                codes: PositionQueryErrors,
              },
              resolutions,
            );
            return new TileQueries(pool, { counter, resolutions, belowZoom: aggregateBelowZoom });
          },
          inject: [READ_POOL, CONFIG],
        },
        { provide: TILE_LIMITS, useValue: { ...defaultTileLimits, ...limits } },
      ],
    };
  }
}
