import { type DynamicModule, Module } from '@nestjs/common';
import { ArchiveZoneHandler } from './archive-zone/archive-zone.handler';
import { CreateZoneHandler } from './create-zone/create-zone.handler';
import { ReplaceZoneHandler } from './replace-zone/replace-zone.handler';
import { ZONE_SETTINGS, type ZoneSettings } from './zone-settings';

/** Zone commands on `meridian.workflow.commands`, one folder per use case. */
@Module({})
export class WorkflowZonesModule {
  static forRoot(settings: ZoneSettings): DynamicModule {
    return {
      module: WorkflowZonesModule,
      controllers: [CreateZoneHandler, ReplaceZoneHandler, ArchiveZoneHandler],
      providers: [{ provide: ZONE_SETTINGS, useValue: settings }],
    };
  }
}
