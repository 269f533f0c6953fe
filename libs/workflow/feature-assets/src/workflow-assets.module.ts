import { Inject, Injectable, Module } from '@nestjs/common';
import type { Logger } from 'pino';
import { commandRejection, RegisterAssetV1, Topics } from '@meridian/contracts';
import type { EventStore } from '@meridian/shared/decider';
import type { MessageBus } from '@meridian/shared/messaging';
import { BUS, EVENT_STORE, LOGGER, RequestServer, type RequestServerOptions } from '@meridian/shared/service-kit';
import { registerAsset } from './register-asset';

/** Consumes `meridian.workflow.commands` and answers each command on its reply topic. */
@Injectable()
export class AssetCommandConsumer extends RequestServer {
  constructor(@Inject(BUS) bus: MessageBus, @Inject(LOGGER) logger: Logger, @Inject(EVENT_STORE) private readonly store: EventStore) {
    super(bus, logger);
  }

  protected serving(): RequestServerOptions {
    return {
      service: 'workflow',
      topic: Topics.workflowCommands,
      groupId: 'workflow.commands',
      rejection: commandRejection,
      routes: { [RegisterAssetV1.type]: (request) => registerAsset(this.store, request, new Date()) },
    };
  }
}

@Module({ providers: [AssetCommandConsumer] })
export class WorkflowAssetsModule {}
