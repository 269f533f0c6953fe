import { randomUUID } from 'node:crypto';
import { Inject, Injectable, type OnApplicationBootstrap, type OnApplicationShutdown } from '@nestjs/common';
import type { Logger } from 'pino';
import { parseData, Topics } from '@meridian/contracts/core';
import { TenantRegisteredV1 } from '@meridian/contracts/identity';
import { type MessageBus, Subscription } from '@meridian/shared/messaging';
import { BUS, LOGGER } from '@meridian/shared/service-kit';
import { GATEWAY_SETTINGS, type GatewaySettings } from './gateway.config';

/**
 * The tenants that exist, learned from identity's events on Kafka (the gateway never calls
 * identity). Read from the beginning at every start without committing; ready once it has
 * caught up with the end offsets seen at start.
 */
@Injectable()
export class TenantDirectory implements OnApplicationBootstrap, OnApplicationShutdown {
  private readonly tenants = new Set<string>();
  private readonly pending = new Map<number, bigint>();
  private subscription: Subscription | null = null;
  private loaded = false;

  constructor(
    @Inject(BUS) private readonly bus: MessageBus,
    @Inject(LOGGER) private readonly logger: Logger,
    @Inject(GATEWAY_SETTINGS) private readonly settings: GatewaySettings,
  ) {}

  async onApplicationBootstrap(): Promise<void> {
    for (const [partition, end] of await this.bus.endOffsets(Topics.identityEvents)) {
      if (end > 0n) this.pending.set(partition, end);
    }
    this.markLoadedIfCaughtUp();
    this.subscription = new Subscription(this.bus, {
      // Nothing is committed: a group of this process alone, read from the beginning every time.
      groupId: `gateway.tenants.${this.settings.instanceId}.${randomUUID()}`,
      topics: [Topics.identityEvents],
      fromBeginning: true,
      commitOffsets: false,
      maxAttempts: 1,
      deadLetter: false,
      log: this.logger,
    });
    // Catch-up is tracked per handled batch, so a bad message that is skipped still counts as read.
    this.subscription.onBatchDone((partition, lastOffset) => {
      const end = this.pending.get(partition);
      if (end !== undefined && BigInt(lastOffset) + 1n >= end) this.pending.delete(partition);
      this.markLoadedIfCaughtUp();
    });
    await this.subscription.run(async (event) => {
      if (event.type === TenantRegisteredV1.type) this.tenants.add(parseData(TenantRegisteredV1, event).tenantId);
    });
  }

  async onApplicationShutdown(): Promise<void> {
    await this.subscription?.stop();
  }

  get ready(): boolean {
    return this.loaded;
  }

  has(tenantId: string): boolean {
    return this.tenants.has(tenantId);
  }

  private markLoadedIfCaughtUp(): void {
    if (this.loaded || this.pending.size > 0) return;
    this.loaded = true;
    this.logger.info({ tenants: this.tenants.size }, 'tenant directory loaded');
  }
}
