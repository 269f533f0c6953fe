import '@meridian/shared/tracing'; // first: OpenTelemetry must patch http, pg and ioredis before they load
import { commandRejection, Topics } from '@meridian/contracts/core';
import { bootstrap, createLogger, loadConfig, main } from '@meridian/shared/service-kit';
import { IdentityModule } from './app.module';
import { identityConfigSchema } from './config';

main(async () => {
  const config = loadConfig(identityConfigSchema);
  const logger = createLogger('identity', config.LOG_LEVEL);
  await bootstrap(IdentityModule.forRoot(config, logger), {
    service: 'identity',
    port: config.IDENTITY_HTTP_PORT,
    config,
    logger,
    topics: [
      {
        topic: Topics.identityCommands,
        mode: 'requests',
        groupId: 'identity.commands',
        service: 'identity',
        rejection: commandRejection,
      },
    ],
  });
});
