import { Topics } from '@meridian/contracts/core';
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
    ],
  });
});
