import { type DynamicModule, Module } from '@nestjs/common';
import type { Logger } from 'pino';
import { Topics } from '@meridian/contracts/core';
import { IdentityTenantsModule, tenantIntegrationEvent } from '@meridian/identity/feature-tenants';
import { CoreModule, EventSourcingModule } from '@meridian/shared/service-kit';
import type { IdentityConfig } from './config';

@Module({})
export class IdentityModule {
  static forRoot(config: IdentityConfig, logger: Logger): DynamicModule {
    return {
      module: IdentityModule,
      imports: [
        CoreModule.forRoot({ service: 'identity', config, logger }),
        EventSourcingModule.forRoot({ schema: 'identity', topic: Topics.identityEvents, map: tenantIntegrationEvent }),
        IdentityTenantsModule.forRoot(config.IDENTITY_BOOTSTRAP_TENANTS),
      ],
    };
  }
}
