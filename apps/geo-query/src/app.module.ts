import { type DynamicModule, Module } from '@nestjs/common';
import type { Logger } from 'pino';
import { GeoQueryAssetsModule } from '@meridian/geo-query/feature-assets';
import { GeoQueryAuditModule } from '@meridian/geo-query/feature-audit';
import { GeoQueryExportsModule } from '@meridian/geo-query/feature-exports';
import { GeoQueryMissionsModule } from '@meridian/geo-query/feature-missions';
import { GeoQueryOgcModule } from '@meridian/geo-query/feature-ogc';
import { GeoQueryPositionsModule } from '@meridian/geo-query/feature-positions';
import { GeoQueryTilesModule } from '@meridian/geo-query/feature-tiles';
import { GeoQueryZonesModule } from '@meridian/geo-query/feature-zones';
import { ReadModelModule } from '@meridian/read-model/data-source';
import { createExportStorage } from '@meridian/shared/export-storage';
import { CoreModule } from '@meridian/shared/service-kit';
import type { GeoQueryConfig } from './config';

@Module({})
export class GeoQueryModule {
  static forRoot(config: GeoQueryConfig, logger: Logger): DynamicModule {
    return {
      module: GeoQueryModule,
      imports: [
        CoreModule.forRoot({ service: 'geo-query', config, logger }),
        ReadModelModule.forRoot({ migrate: false }),
        GeoQueryAssetsModule,
        GeoQueryAuditModule,
        GeoQueryMissionsModule,
        GeoQueryZonesModule,
        GeoQueryOgcModule.forRoot({ countCap: config.GEO_QUERY_OGC_COUNT_CAP }),
        GeoQueryPositionsModule,
        GeoQueryTilesModule.forRoot({
          maxFeatures: config.GEO_QUERY_TILE_MAX_FEATURES,
          maxBytes: config.GEO_QUERY_TILE_MAX_BYTES,
          aggregateBelowZoom: config.GEO_QUERY_TILE_AGGREGATE_BELOW_ZOOM,
        }),
        GeoQueryExportsModule.forRoot({
          redisUrl: config.REDIS_URL,
          dir: config.EXPORTS_DIR,
          storage: createExportStorage(config),
          concurrency: config.EXPORTS_CONCURRENCY,
          ttlHours: config.EXPORTS_TTL_HOURS,
          maxActivePerPrincipal: config.EXPORTS_MAX_ACTIVE_PER_PRINCIPAL,
          sweepMs: config.EXPORTS_SWEEP_MS,
          reconcileMs: config.EXPORTS_RECONCILE_MS,
          leaseMs: config.EXPORTS_LEASE_MS,
          maxAttempts: config.EXPORTS_MAX_ATTEMPTS,
          instanceId: `${config.INSTANCE_ID}-${process.pid}`,
          log: logger,
        }),
      ],
    };
  }
}
