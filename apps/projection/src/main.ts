import '@meridian/shared/tracing'; // first: OpenTelemetry must patch http, pg and ioredis before they load
import { queryRejection, Topics } from '@meridian/contracts/core';
import { bootstrap, createLogger, loadConfig, main } from '@meridian/shared/service-kit';
import { ProjectionModule } from './app.module';
import { projectionConfigSchema } from './config';

main(async () => {
  const config = loadConfig(projectionConfigSchema);
  const logger = createLogger('projection', config.LOG_LEVEL);
  await bootstrap(ProjectionModule.forRoot(config, logger), {
    service: 'projection',
    port: config.PROJECTION_HTTP_PORT,
    config,
    logger,
    topics: [
      { topic: Topics.workflowEvents, mode: 'events', groupId: 'projection.workflow-events', concurrency: 3 },
      {
        topic: Topics.telemetryPositions,
        mode: 'batch',
        groupId: 'projection.telemetry',
        concurrency: config.PROJECTION_TELEMETRY_CONCURRENCY,
      },
      // Webhook subscriptions and deliveries (issue 13); the fan-out consumer has its own group.
      {
        topic: Topics.projectionRequests,
        mode: 'requests',
        groupId: 'projection.requests',
        service: 'projection',
        rejection: queryRejection,
        concurrency: 3,
      },
    ],
  });
});
