import { type DynamicModule, Module } from '@nestjs/common';
import type { Logger } from 'pino';
import { ProjectionIngestModule } from '@meridian/projection/feature-ingest';
import { CoreModule } from '@meridian/shared/service-kit';
import type { ProjectionConfig } from './config';

@Module({})
export class ProjectionModule {
  static forRoot(config: ProjectionConfig, logger: Logger): DynamicModule {
    return {
      module: ProjectionModule,
      imports: [CoreModule.forRoot({ service: 'projection', config, logger }), ProjectionIngestModule],
    };
  }
}
