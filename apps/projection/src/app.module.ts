import { type DynamicModule, Module } from '@nestjs/common';
import type { Logger } from 'pino';
import { ProjectionAssetsModule } from '@meridian/projection/feature-assets';
import { ProjectionTelemetryModule } from '@meridian/projection/feature-telemetry';
import { ReadModelModule } from '@meridian/read-model/data-source';
import { CoreModule } from '@meridian/shared/service-kit';
import type { ProjectionConfig } from './config';

@Module({})
export class ProjectionModule {
  static forRoot(config: ProjectionConfig, logger: Logger): DynamicModule {
    return {
      module: ProjectionModule,
      imports: [
        CoreModule.forRoot({ service: 'projection', config, logger }),
        // projection owns the read schema: it runs the read-model migrations at start.
        ReadModelModule.forRoot({ migrate: true }),
        ProjectionAssetsModule,
        ProjectionTelemetryModule.forRoot({
          aheadDays: config.PROJECTION_PARTITIONS_AHEAD_DAYS,
          behindDays: 1,
          intervalMs: 60 * 60 * 1000,
        }),
      ],
    };
  }
}
