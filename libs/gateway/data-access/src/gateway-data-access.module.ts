import { type DynamicModule, Module } from '@nestjs/common';
import { APP_FILTER, APP_GUARD } from '@nestjs/core';
import { ConsumesGuard, ProblemFilter } from '@meridian/gateway/util-http';
import { READINESS } from '@meridian/shared/service-kit';
import { AssetDirectory } from './asset-directory';
import { CommandTimings } from './command-timings';
import { GATEWAY_SETTINGS, type GatewaySettings } from './gateway.config';
import { Idempotency } from './idempotency';
import { RateLimiter } from './rate-limit';
import { ServiceBus } from './service-bus';
import { TenantDirectory } from './tenant-directory';
import { TimingsController } from './timings.controller';

/**
 * What every gateway feature uses: the service bus to the other services, idempotency keys, rate
 * limits, the directories fed from Kafka, the HTTP conventions (problem+json filter, media-type
 * guard), and the commands' per-hop timings (`GET|DELETE /internal/timings`).
 */
@Module({})
export class GatewayDataAccessModule {
  static forRoot(settings: GatewaySettings): DynamicModule {
    return {
      module: GatewayDataAccessModule,
      global: true,
      controllers: [TimingsController],
      providers: [
        { provide: GATEWAY_SETTINGS, useValue: settings },
        { provide: APP_FILTER, useClass: ProblemFilter },
        { provide: APP_GUARD, useClass: ConsumesGuard },
        ServiceBus,
        AssetDirectory,
        Idempotency,
        RateLimiter,
        TenantDirectory,
        CommandTimings,
        {
          provide: READINESS,
          useFactory: (tenants: TenantDirectory) => () => ({ tenants: tenants.ready ? 'up' : 'down' }),
          inject: [TenantDirectory],
        },
      ],
      exports: [
        GATEWAY_SETTINGS,
        ServiceBus,
        AssetDirectory,
        Idempotency,
        RateLimiter,
        TenantDirectory,
        CommandTimings,
        READINESS,
      ],
    };
  }
}
