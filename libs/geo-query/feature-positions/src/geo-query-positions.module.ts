import { Module } from '@nestjs/common';
import type { Pool } from 'pg';
import { AssetQueries } from '@meridian/read-model/assets';
import { READ_POOL } from '@meridian/read-model/data-source';
import { AssetTrackHandler } from './asset-track/asset-track.handler';
import { AssetsAtHandler } from './assets-at/assets-at.handler';
import { HeatmapHandler } from './heatmap/heatmap.handler';
import { positionQueriesProvider } from './position-queries.provider';

/** Queries of position history on `meridian.geo-query.requests`: where at T, tracks, heatmaps. */
@Module({
  controllers: [AssetsAtHandler, AssetTrackHandler, HeatmapHandler],
  providers: [
    positionQueriesProvider,
    { provide: AssetQueries, useFactory: (pool: Pool) => new AssetQueries(pool), inject: [READ_POOL] },
  ],
})
export class GeoQueryPositionsModule {}
