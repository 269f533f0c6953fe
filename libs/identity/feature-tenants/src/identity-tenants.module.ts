import { type DynamicModule, Inject, Injectable, Module } from '@nestjs/common';
import type { Logger } from 'pino';
import { commandRejection, RegisterTenantV1, Topics } from '@meridian/contracts';
import type { EventStore } from '@meridian/shared/decider';
import type { MessageBus } from '@meridian/shared/messaging';
import { BUS, EVENT_STORE, LOGGER, RequestServer, type RequestServerOptions } from '@meridian/shared/service-kit';
import { stableUuid } from '@meridian/shared/util';
import { registerTenant, registerTenantRoute } from './tenants';

const BOOTSTRAP_TENANTS = Symbol('meridian.bootstrap-tenants');

/** Ensures the configured tenants exist (idempotently) and serves tenant commands. */
@Injectable()
export class TenantService extends RequestServer {
  constructor(
    @Inject(BUS) bus: MessageBus,
    @Inject(LOGGER) logger: Logger,
    @Inject(EVENT_STORE) private readonly store: EventStore,
    @Inject(BOOTSTRAP_TENANTS) private readonly bootstrapTenants: readonly string[],
  ) {
    super(bus, logger);
  }

  protected override async prepare(): Promise<void> {
    for (const tenantId of this.bootstrapTenants) {
      const result = await registerTenant(this.store, tenantId, tenantId, stableUuid(`bootstrap-tenant:${tenantId}`), new Date());
      if (result.ok && !result.duplicate) this.logger.info({ tenantId }, 'bootstrap tenant registered');
    }
  }

  protected serving(): RequestServerOptions {
    return {
      service: 'identity',
      topic: Topics.identityCommands,
      groupId: 'identity.commands',
      rejection: commandRejection,
      routes: { [RegisterTenantV1.type]: (request) => registerTenantRoute(this.store, request, new Date()) },
    };
  }
}

@Module({})
export class IdentityTenantsModule {
  static forRoot(bootstrapTenants: readonly string[]): DynamicModule {
    return { module: IdentityTenantsModule, providers: [{ provide: BOOTSTRAP_TENANTS, useValue: bootstrapTenants }, TenantService] };
  }
}
