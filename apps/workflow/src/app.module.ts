import { type DynamicModule, Module } from '@nestjs/common';
import type { Logger } from 'pino';
import { Topics } from '@meridian/contracts/core';
import { CoreModule, EventSourcingModule } from '@meridian/shared/service-kit';
import { toIntegrationEvent, WorkflowAssetsModule } from '@meridian/workflow/feature-assets';
import { toZoneIntegrationEvent, WorkflowZonesModule } from '@meridian/workflow/feature-zones';
import { sagaMigrations, toMissionIntegrationEvent, WorkflowMissionsModule } from '@meridian/workflow/feature-missions';
import { timerMigrations } from '@meridian/workflow/data-access-timers';
import type { RecordedEvent } from '@meridian/shared/decider';
import type { IntegrationMessage } from '@meridian/shared/messaging';
import { workflowUpcasters } from '@meridian/workflow/domain';
import type { WorkflowConfig } from './config';

/** Every workflow aggregate's domain events → the integration contract (null: stays internal). */
export const toWorkflowIntegrationEvent = (event: RecordedEvent): IntegrationMessage | null =>
  toIntegrationEvent(event) ?? toZoneIntegrationEvent(event) ?? toMissionIntegrationEvent(event);

@Module({})
export class WorkflowModule {
  static forRoot(config: WorkflowConfig, logger: Logger): DynamicModule {
    return {
      module: WorkflowModule,
      imports: [
        CoreModule.forRoot({ service: 'workflow', config, logger }),
        EventSourcingModule.forRoot({
          schema: 'workflow',
          topic: Topics.workflowEvents,
          map: toWorkflowIntegrationEvent,
          upcasters: workflowUpcasters,
          migrations: [...timerMigrations, ...sagaMigrations('workflow')],
        }),
        WorkflowAssetsModule,
        WorkflowZonesModule.forRoot({ maxVertices: config.ZONE_MAX_VERTICES }),
        WorkflowMissionsModule.forRoot(
          {
            schema: 'workflow',
            deadlineTolerance: config.MISSION_DEADLINE_TOLERANCE,
            maxVertices: config.ZONE_MAX_VERTICES,
            sagaSweepMs: config.MISSION_SAGA_SWEEP_MS,
          },
          { kind: config.MISSION_TIMERS, redisUrl: config.REDIS_URL, reconcileMs: config.MISSION_TIMER_RECONCILE_MS },
        ),
      ],
    };
  }
}
