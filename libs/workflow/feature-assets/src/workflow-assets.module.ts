import { type BeforeApplicationShutdown, Inject, Injectable, Module, type OnApplicationBootstrap } from '@nestjs/common';
import type { Logger } from 'pino';
import { commandRejection, RegisterAssetV1, Topics } from '@meridian/contracts';
import type { EventStore } from '@meridian/shared/decider';
import { type MessageBus, serveRequests, type Subscription } from '@meridian/shared/messaging';
import { BUS, EVENT_STORE, LOGGER, withLogContext } from '@meridian/shared/service-kit';
import { registerAsset } from './register-asset';

/** Consumes `meridian.workflow.commands` and answers each command on its reply topic. */
@Injectable()
export class AssetCommandConsumer implements OnApplicationBootstrap, BeforeApplicationShutdown {
  private subscription: Subscription | null = null;

  constructor(
    @Inject(BUS) private readonly bus: MessageBus,
    @Inject(EVENT_STORE) private readonly store: EventStore,
    @Inject(LOGGER) private readonly logger: Logger,
  ) {}

  async onApplicationBootstrap(): Promise<void> {
    this.subscription = await serveRequests(this.bus, {
      service: 'workflow',
      topic: Topics.workflowCommands,
      groupId: 'workflow.commands',
      log: this.logger,
      rejection: commandRejection,
      withContext: withLogContext,
      routes: { [RegisterAssetV1.type]: (request) => registerAsset(this.store, request, new Date()) },
    });
  }

  async beforeApplicationShutdown(): Promise<void> {
    await this.subscription?.stop();
  }
}

@Module({ providers: [AssetCommandConsumer] })
export class WorkflowAssetsModule {}
