import { type DynamicModule, Module } from '@nestjs/common';
import { CELL_COMPACTION_SETTINGS, CellCompaction } from './store-positions/cell-compaction';
import {
  PARTITION_SETTINGS,
  PartitionMaintenance,
  type PartitionSettings,
} from './store-positions/partition-maintenance';
import { CELL_RESOLUTIONS, PositionsIngestor } from './store-positions/positions.ingestor';

/** positions and the newest fix in asset_latest, from `meridian.telemetry.positions`. */
@Module({})
export class ProjectionTelemetryModule {
  static forRoot(
    settings: PartitionSettings & {
      readonly cellResolutions: readonly number[];
      /** How often closed hours of position_cells are merged (0: never). */
      readonly cellCompactionIntervalMs?: number;
    },
  ): DynamicModule {
    return {
      module: ProjectionTelemetryModule,
      controllers: [PositionsIngestor],
      providers: [
        { provide: PARTITION_SETTINGS, useValue: settings },
        { provide: CELL_RESOLUTIONS, useValue: settings.cellResolutions },
        { provide: CELL_COMPACTION_SETTINGS, useValue: { intervalMs: settings.cellCompactionIntervalMs ?? 0 } },
        PartitionMaintenance,
        CellCompaction,
      ],
    };
  }
}
