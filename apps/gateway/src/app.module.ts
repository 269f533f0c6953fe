import { type DynamicModule, Module } from '@nestjs/common';
import type { Logger } from 'pino';
import { GatewayDataAccessModule } from '@meridian/gateway/data-access';
import { GatewayAdminModule } from '@meridian/gateway/feature-admin';
import { GatewayAssetsModule } from '@meridian/gateway/feature-assets';
import { GatewayAuditModule } from '@meridian/gateway/feature-audit';
import { GatewayExportsModule } from '@meridian/gateway/feature-exports';
import { GatewayMissionsModule } from '@meridian/gateway/feature-missions';
import { GatewayOgcModule } from '@meridian/gateway/feature-ogc';
import { GatewayStreamModule } from '@meridian/gateway/feature-stream';
import { GatewayTelemetryModule } from '@meridian/gateway/feature-telemetry';
import { GatewayTilesModule } from '@meridian/gateway/feature-tiles';
import { GatewayWebhooksModule } from '@meridian/gateway/feature-webhooks';
import { GatewayZonesModule } from '@meridian/gateway/feature-zones';
import { CoreModule } from '@meridian/shared/service-kit';
import { type GatewayConfig, settingsOf } from './config';

/** The resources the gateway serves: a new one is a feature lib added to this list. */
export const gatewayFeatures = [
  GatewayAssetsModule,
  GatewayTelemetryModule,
  GatewayZonesModule,
  GatewayMissionsModule,
  GatewayStreamModule,
  GatewayTilesModule,
  GatewayOgcModule,
  GatewayAuditModule,
  GatewayAdminModule,
  GatewayWebhooksModule,
  GatewayExportsModule,
];

@Module({})
export class GatewayModule {
  static forRoot(config: GatewayConfig, logger: Logger): DynamicModule {
    return {
      module: GatewayModule,
      imports: [
        CoreModule.forRoot({ service: 'gateway', config, logger }),
        GatewayDataAccessModule.forRoot(settingsOf(config)),
        ...gatewayFeatures,
      ],
    };
  }
}
