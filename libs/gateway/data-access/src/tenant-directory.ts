import { Inject, Injectable, type OnApplicationBootstrap, type OnApplicationShutdown } from '@nestjs/common';
import type { Logger } from 'pino';
import { parseData, Topics } from '@meridian/contracts/core';
import { TenantRegisteredV1 } from '@meridian/contracts/identity';
import type { MessageBus } from '@meridian/shared/messaging';
import { BUS, LOGGER } from '@meridian/shared/service-kit';
import { GATEWAY_SETTINGS, type GatewaySettings } from './gateway.config';
import { TopicReplay } from './topic-replay';

/** The tenants that exist, learned from identity's events on Kafka (the gateway never calls identity). */
@Injectable()
export class TenantDirectory implements OnApplicationBootstrap, OnApplicationShutdown {
  private readonly tenants = new Set<string>();
  private readonly replay: TopicReplay;

  constructor(
    @Inject(BUS) bus: MessageBus,
    @Inject(LOGGER) logger: Logger,
    @Inject(GATEWAY_SETTINGS) settings: GatewaySettings,
  ) {
    this.replay = new TopicReplay(bus, {
      topic: Topics.identityEvents,
      name: 'tenants',
      instanceId: settings.instanceId,
      log: logger,
    });
  }

  async onApplicationBootstrap(): Promise<void> {
    await this.replay.start(
      (event) => {
        if (event.type === TenantRegisteredV1.type) this.tenants.add(parseData(TenantRegisteredV1, event).tenantId);
      },
      () => ({ tenants: this.tenants.size }),
    );
  }

  async onApplicationShutdown(): Promise<void> {
    await this.replay.stop();
  }

  get ready(): boolean {
    return this.replay.ready;
  }

  has(tenantId: string): boolean {
    return this.tenants.has(tenantId);
  }
}
