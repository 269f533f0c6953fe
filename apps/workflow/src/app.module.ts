import { type DynamicModule, Module } from '@nestjs/common';
import type { Logger } from 'pino';
import { Topics } from '@meridian/contracts/core';
import { CoreModule, EventSourcingModule } from '@meridian/shared/service-kit';
import { toIntegrationEvent, WorkflowAssetsModule } from '@meridian/workflow/feature-assets';
import type { WorkflowConfig } from './config';

@Module({})
export class WorkflowModule {
  static forRoot(config: WorkflowConfig, logger: Logger): DynamicModule {
    return {
      module: WorkflowModule,
      imports: [
        CoreModule.forRoot({ service: 'workflow', config, logger }),
        EventSourcingModule.forRoot({ schema: 'workflow', topic: Topics.workflowEvents, map: toIntegrationEvent }),
        WorkflowAssetsModule,
      ],
    };
  }
}
