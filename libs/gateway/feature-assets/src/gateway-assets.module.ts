import { type DynamicModule, Module } from '@nestjs/common';
import { APP_FILTER } from '@nestjs/core';
import { AssetDirectory } from './asset-directory';
import { AssetsController } from './assets.controller';
import { GATEWAY_SETTINGS, type GatewaySettings } from './gateway.config';
import { Idempotency } from './idempotency';
import { ProblemFilter } from './problem.filter';
import { ServiceBus } from './service-bus';
import { TelemetryController } from './telemetry.controller';
import { TenantDirectory } from './tenant-directory';
import { READINESS } from '@meridian/shared/service-kit';

@Module({})
export class GatewayAssetsModule {
  static forRoot(settings: GatewaySettings): DynamicModule {
    return {
      module: GatewayAssetsModule,
      global: true,
      controllers: [AssetsController, TelemetryController],
      providers: [
        { provide: GATEWAY_SETTINGS, useValue: settings },
        { provide: APP_FILTER, useClass: ProblemFilter },
        ServiceBus,
        AssetDirectory,
        Idempotency,
        TenantDirectory,
        {
          provide: READINESS,
          useFactory: (tenants: TenantDirectory) => () => ({ tenants: tenants.ready ? 'up' : 'down' }),
          inject: [TenantDirectory],
        },
      ],
      exports: [READINESS, TenantDirectory],
    };
  }
}
