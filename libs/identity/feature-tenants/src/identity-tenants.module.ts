import { type BeforeApplicationShutdown, type DynamicModule, Inject, Injectable, Module, type OnApplicationBootstrap } from '@nestjs/common';
import type { Logger } from 'pino';
import { commandRejection, RegisterTenantV1, Topics } from '@meridian/contracts';
import type { EventStore } from '@meridian/shared/decider';
import { type MessageBus, serveRequests, type Subscription } from '@meridian/shared/messaging';
import { BUS, EVENT_STORE, LOGGER, withLogContext } from '@meridian/shared/service-kit';
import { stableUuid } from '@meridian/shared/util';
import { registerTenant, registerTenantRoute } from './tenants';

const BOOTSTRAP_TENANTS = Symbol('meridian.bootstrap-tenants');

/** Ensures the configured tenants exist (idempotently) and serves tenant commands. */
@Injectable()
export class TenantService implements OnApplicationBootstrap, BeforeApplicationShutdown {
  private subscription: Subscription | null = null;

  constructor(
    @Inject(BUS) private readonly bus: MessageBus,
    @Inject(EVENT_STORE) private readonly store: EventStore,
    @Inject(LOGGER) private readonly logger: Logger,
    @Inject(BOOTSTRAP_TENANTS) private readonly bootstrapTenants: readonly string[],
  ) {}

  async onApplicationBootstrap(): Promise<void> {
    for (const tenantId of this.bootstrapTenants) {
      const result = await registerTenant(this.store, tenantId, tenantId, stableUuid(`bootstrap-tenant:${tenantId}`), new Date());
      if (result.ok && !result.duplicate) this.logger.info({ tenantId }, 'bootstrap tenant registered');
    }
    this.subscription = await serveRequests(this.bus, {
      service: 'identity',
      topic: Topics.identityCommands,
      groupId: 'identity.commands',
      log: this.logger,
      rejection: commandRejection,
      withContext: withLogContext,
      routes: { [RegisterTenantV1.type]: (request) => registerTenantRoute(this.store, request, new Date()) },
    });
  }

  async beforeApplicationShutdown(): Promise<void> {
    await this.subscription?.stop();
  }
}

@Module({})
export class IdentityTenantsModule {
  static forRoot(bootstrapTenants: readonly string[]): DynamicModule {
    return { module: IdentityTenantsModule, providers: [{ provide: BOOTSTRAP_TENANTS, useValue: bootstrapTenants }, TenantService] };
  }
}
