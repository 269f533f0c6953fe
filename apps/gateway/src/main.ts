import '@meridian/shared/tracing'; // first: OpenTelemetry must patch http, pg and ioredis before they load
import { bootstrap, createLogger, loadConfig, main } from '@meridian/shared/service-kit';
import { GatewayModule } from './app.module';
import { gatewayConfigSchema } from './config';
import { configureHttp } from './http';

main(async () => {
  const config = loadConfig(gatewayConfigSchema);
  const logger = createLogger('gateway', config.LOG_LEVEL);
  await bootstrap(GatewayModule.forRoot(config, logger), {
    service: 'gateway',
    port: config.GATEWAY_PORT,
    publicPort: true,
    config,
    logger,
    bodyLimitBytes: config.GATEWAY_BODY_LIMIT_BYTES,
    configure: (app) => configureHttp(app, config),
  });
});
