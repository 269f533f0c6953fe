import '@meridian/shared/tracing'; // first: OpenTelemetry must patch http, pg and ioredis before they load
import { queryRejection, Topics } from '@meridian/contracts/core';
import { bootstrap, createLogger, loadConfig, main } from '@meridian/shared/service-kit';
import { GeoQueryModule } from './app.module';
import { geoQueryConfigSchema } from './config';

main(async () => {
  const config = loadConfig(geoQueryConfigSchema);
  const logger = createLogger('geo-query', config.LOG_LEVEL);
  await bootstrap(GeoQueryModule.forRoot(config, logger), {
    service: 'geo-query',
    port: config.GEO_QUERY_HTTP_PORT,
    config,
    logger,
    topics: [
      {
        topic: Topics.geoQueryRequests,
        mode: 'requests',
        groupId: 'geo-query.requests',
        service: 'geo-query',
        rejection: queryRejection,
        concurrency: 4,
      },
    ],
  });
});
