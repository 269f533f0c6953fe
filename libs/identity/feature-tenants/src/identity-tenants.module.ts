import {
  Controller,
  type DynamicModule,
  Inject,
  Injectable,
  Module,
  type OnApplicationBootstrap,
} from '@nestjs/common';
import type { Logger } from 'pino';
import { type DataOf, type Envelope, Topics } from '@meridian/contracts/core';
import { RegisterTenantV1 } from '@meridian/contracts/identity';
import { bootstrapTenantCommandId } from '@meridian/identity/data-access';
import { PLATFORM_TENANT } from '@meridian/identity/domain';
import type { EventStore } from '@meridian/shared/decider';
import { CommandHandler, type ReplyBody } from '@meridian/shared/messaging';
import { EVENT_STORE, LOGGER } from '@meridian/shared/service-kit';
import { registerTenant, registerTenantRoute } from './register-tenant/register-tenant.handler';

const BOOTSTRAP_TENANTS = Symbol('meridian.bootstrap-tenants');

/**
 * Ensures the reserved tenant `platform` (its platform administrator's) and the configured tenants
 * exist, idempotently, before commands are served.
 */
@Injectable()
export class BootstrapTenants implements OnApplicationBootstrap {
  constructor(
    @Inject(LOGGER) private readonly logger: Logger,
    @Inject(EVENT_STORE) private readonly store: EventStore,
    @Inject(BOOTSTRAP_TENANTS) private readonly tenants: readonly string[],
  ) {}

  async onApplicationBootstrap(): Promise<void> {
    for (const tenantId of new Set([PLATFORM_TENANT, ...this.tenants])) {
      const commandId = bootstrapTenantCommandId(tenantId);
      const result = await registerTenant(this.store, tenantId, tenantId, commandId, new Date());
      if (result.ok && !result.duplicate) this.logger.info({ tenantId }, 'bootstrap tenant registered');
    }
  }
}

@Controller()
export class RegisterTenantHandler {
  constructor(@Inject(EVENT_STORE) private readonly store: EventStore) {}

  @CommandHandler(RegisterTenantV1, Topics.identityCommands)
  register(request: Envelope<DataOf<typeof RegisterTenantV1>>): Promise<ReplyBody> {
    return registerTenantRoute(this.store, request, new Date());
  }
}

@Module({})
export class IdentityTenantsModule {
  static forRoot(bootstrapTenants: readonly string[]): DynamicModule {
    return {
      module: IdentityTenantsModule,
      controllers: [RegisterTenantHandler],
      providers: [{ provide: BOOTSTRAP_TENANTS, useValue: bootstrapTenants }, BootstrapTenants],
    };
  }
}
