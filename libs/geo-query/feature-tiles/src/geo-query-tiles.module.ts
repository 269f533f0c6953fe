import { type DynamicModule, Module } from '@nestjs/common';
import type { Pool } from 'pg';
import { READ_POOL } from '@meridian/read-model/data-source';
import { TileQueries, type TileLimits } from '@meridian/read-model/tiles';
import { GetTileHandler } from './get-tile/get-tile.handler';
import { defaultTileLimits, TILE_LIMITS } from './tile-settings';

/** Vector tiles (`meridian.geo-query.tile.get.v1`) of the assets, positions and zones layers. */
@Module({})
export class GeoQueryTilesModule {
  static forRoot(limits: Partial<TileLimits> = {}): DynamicModule {
    return {
      module: GeoQueryTilesModule,
      controllers: [GetTileHandler],
      providers: [
        { provide: TileQueries, useFactory: (pool: Pool) => new TileQueries(pool), inject: [READ_POOL] },
        { provide: TILE_LIMITS, useValue: { ...defaultTileLimits, ...limits } },
      ],
    };
  }
}
