import '@meridian/shared/tracing'; // first: OpenTelemetry must patch http, pg and ioredis before they load
import { commandRejection, Topics } from '@meridian/contracts/core';
import { bootstrap, createLogger, loadConfig, main } from '@meridian/shared/service-kit';
import { WorkflowModule } from './app.module';
import { workflowConfigSchema } from './config';

main(async () => {
  const config = loadConfig(workflowConfigSchema);
  const logger = createLogger('workflow', config.LOG_LEVEL);
  await bootstrap(WorkflowModule.forRoot(config, logger), {
    service: 'workflow',
    port: config.WORKFLOW_HTTP_PORT,
    config,
    logger,
    topics: [
      {
        topic: Topics.workflowCommands,
        mode: 'requests',
        groupId: 'workflow.commands',
        service: 'workflow',
        rejection: commandRejection,
        concurrency: 4,
      },
      // Geofence events: mission areas move missions on (feature-missions' MissionGeofenceHandler).
      { topic: Topics.projectionEvents, mode: 'events', groupId: 'workflow.geofence', concurrency: 3 },
    ],
  });
});
