import { type DynamicModule, Module } from '@nestjs/common';
import {
  PARTITION_SETTINGS,
  PartitionMaintenance,
  type PartitionSettings,
} from './store-positions/partition-maintenance';
import { PositionsIngestor } from './store-positions/positions.ingestor';

/** positions and the newest fix in asset_latest, from `meridian.telemetry.positions`. */
@Module({})
export class ProjectionTelemetryModule {
  static forRoot(settings: PartitionSettings): DynamicModule {
    return {
      module: ProjectionTelemetryModule,
      controllers: [PositionsIngestor],
      providers: [{ provide: PARTITION_SETTINGS, useValue: settings }, PartitionMaintenance],
    };
  }
}
