import { type DynamicModule, Module } from '@nestjs/common';
import { APP_FILTER, APP_GUARD, DiscoveryModule } from '@nestjs/core';
import {
  AUTH_SETTINGS,
  Authentication,
  gatewayAuthProviders,
  PRINCIPAL_SOURCE,
  REQUEST_BUDGET,
  SIGNING_KEYS,
} from '@meridian/gateway/util-auth';
import { ConsumesGuard, ProblemFilter } from '@meridian/gateway/util-http';
import { READINESS } from '@meridian/shared/service-kit';
import { AssetDirectory } from './asset-directory';
import { CommandTimings } from './command-timings';
import { GATEWAY_SETTINGS, type GatewaySettings } from './gateway.config';
import { Idempotency } from './idempotency';
import { KeyDirectory } from './key-directory';
import { PrincipalDirectory } from './principal-directory';
import { PrincipalRateLimit } from './principal-rate-limit';
import { RateLimiter } from './rate-limit';
import { ServiceBus } from './service-bus';
import { TenantDirectory } from './tenant-directory';
import { RefusalsController } from './refusals.controller';
import { TimingsController } from './timings.controller';

const up = (ready: boolean): 'up' | 'down' => (ready ? 'up' : 'down');

/**
 * What every gateway feature uses: the service bus to the other services, idempotency keys, rate
 * limits, the directories fed from Kafka (tenants, signing keys, principals), authentication and
 * per-route permissions (libs/gateway/util-auth; the Fastify hook is installed by
 * apps/gateway/src/http.ts with `Authentication`), the HTTP conventions (problem+json filter,
 * media-type guard), and the commands' per-hop timings (`GET|DELETE /internal/timings`).
 */
@Module({})
export class GatewayDataAccessModule {
  static forRoot(settings: GatewaySettings): DynamicModule {
    return {
      module: GatewayDataAccessModule,
      global: true,
      imports: [DiscoveryModule],
      controllers: [TimingsController, RefusalsController],
      providers: [
        { provide: GATEWAY_SETTINGS, useValue: settings },
        { provide: AUTH_SETTINGS, useValue: settings.auth },
        { provide: APP_FILTER, useClass: ProblemFilter },
        // Global guards run in this order: who may call the route, then what media type it takes.
        ...gatewayAuthProviders,
        { provide: APP_GUARD, useClass: ConsumesGuard },
        ServiceBus,
        AssetDirectory,
        Idempotency,
        RateLimiter,
        TenantDirectory,
        KeyDirectory,
        PrincipalDirectory,
        PrincipalRateLimit,
        { provide: SIGNING_KEYS, useExisting: KeyDirectory },
        { provide: PRINCIPAL_SOURCE, useExisting: PrincipalDirectory },
        { provide: REQUEST_BUDGET, useExisting: PrincipalRateLimit },
        CommandTimings,
        {
          provide: READINESS,
          useFactory: (tenants: TenantDirectory, keys: KeyDirectory, principals: PrincipalDirectory) => () => ({
            tenants: up(tenants.ready),
            signingKeys: up(keys.ready),
            principals: up(principals.ready),
          }),
          inject: [TenantDirectory, KeyDirectory, PrincipalDirectory],
        },
      ],
      exports: [
        GATEWAY_SETTINGS,
        ServiceBus,
        AssetDirectory,
        Idempotency,
        RateLimiter,
        TenantDirectory,
        KeyDirectory,
        PrincipalDirectory,
        PRINCIPAL_SOURCE,
        Authentication,
        CommandTimings,
        READINESS,
      ],
    };
  }
}
