import { type DynamicModule, Module } from '@nestjs/common';
import type { Logger } from 'pino';
import { GatewayAssetsModule } from '@meridian/gateway/feature-assets';
import { CoreModule } from '@meridian/shared/service-kit';
import { type GatewayConfig, settingsOf } from './config';

@Module({})
export class GatewayModule {
  static forRoot(config: GatewayConfig, logger: Logger): DynamicModule {
    return {
      module: GatewayModule,
      imports: [CoreModule.forRoot({ service: 'gateway', config, logger }), GatewayAssetsModule.forRoot(settingsOf(config))],
    };
  }
}
