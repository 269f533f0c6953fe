import {
  type BeforeApplicationShutdown,
  Inject,
  Injectable,
  Module,
  type OnApplicationBootstrap,
} from '@nestjs/common';
import type Redis from 'ioredis';
import type { Logger } from 'pino';
import { Topics } from '@meridian/contracts/core';
import type { MessageBus } from '@meridian/shared/messaging';
import { BUS, CONFIG, LOGGER, REDIS } from '@meridian/shared/service-kit';
import { LiveStreams } from './live-stream/live-streams';
import { StreamController } from './live-stream/stream.controller';
import './live-stream/stream.openapi';
import { StreamHub } from './live-stream/stream-hub';
import { StreamRelay } from './relay/stream-relay';
import { STREAM_SETTINGS, type StreamSettings, streamSettingsOf } from './stream.config';
import { StreamLog } from './stream-log';
import { WatchingTenants } from './watching-tenants';

/** Every gateway instance joins this group: each Kafka record is relayed to Redis once. */
export const STREAM_RELAY_GROUP = 'gateway.stream';
/** How often each relay re-reads the watched tenants. */
const WATCHING_POLL_MS = 250;

/** Starts the relay with the application and stops it, and this instance's readers, before the connections close. */
@Injectable()
export class StreamLifecycle implements OnApplicationBootstrap, BeforeApplicationShutdown {
  private marking: NodeJS.Timeout | null = null;

  constructor(
    private readonly relay: StreamRelay,
    private readonly hub: StreamHub,
    private readonly watching: WatchingTenants,
    @Inject(STREAM_SETTINGS) private readonly settings: StreamSettings,
  ) {}

  async onApplicationBootstrap(): Promise<void> {
    await this.watching.start();
    // Tenants with clients here stay watched while they have them (and the retention after).
    this.marking = setInterval(
      () => void Promise.all(this.hub.tenants().map((t) => this.watching.mark(t))).catch(() => undefined),
      Math.max(1000, Math.floor(this.settings.retentionMs / 3)),
    );
    this.marking.unref();
    await this.relay.start();
  }

  async beforeApplicationShutdown(): Promise<void> {
    if (this.marking) clearInterval(this.marking);
    this.hub.close();
    await this.relay.stop();
    this.watching.stop();
  }
}

/** `GET /v1/stream` and the relay that feeds it (docs/stream.md, docs/decisions/0022-live-stream.md). */
@Module({
  controllers: [StreamController],
  providers: [
    { provide: STREAM_SETTINGS, useFactory: (config: unknown) => streamSettingsOf(config), inject: [CONFIG] },
    {
      provide: StreamLog,
      useFactory: (redis: Redis, s: StreamSettings) =>
        new StreamLog(redis, { retentionMs: s.retentionMs, maxEvents: s.maxEventsPerTenant }),
      inject: [REDIS, STREAM_SETTINGS],
    },
    {
      provide: StreamHub,
      useFactory: (redis: Redis, streams: StreamLog, s: StreamSettings, logger: Logger) =>
        new StreamHub(redis, streams, logger, { maxClients: s.maxClients }),
      inject: [REDIS, StreamLog, STREAM_SETTINGS, LOGGER],
    },
    {
      provide: WatchingTenants,
      useFactory: (redis: Redis, s: StreamSettings, logger: Logger) =>
        new WatchingTenants(redis, { ttlMs: s.retentionMs, pollMs: WATCHING_POLL_MS, log: logger }),
      inject: [REDIS, STREAM_SETTINGS, LOGGER],
    },
    {
      provide: LiveStreams,
      useFactory: (hub: StreamHub, streams: StreamLog, s: StreamSettings, logger: Logger, w: WatchingTenants) =>
        new LiveStreams(
          hub,
          streams,
          {
            bufferBytes: s.clientBufferBytes,
            keepAliveMs: s.keepAliveMs,
            retryMs: s.retryMs,
            retentionMs: s.retentionMs,
          },
          logger,
          w,
        ),
      inject: [StreamHub, StreamLog, STREAM_SETTINGS, LOGGER, WatchingTenants],
    },
    {
      provide: StreamRelay,
      useFactory: (bus: MessageBus, streams: StreamLog, s: StreamSettings, logger: Logger, w: WatchingTenants) =>
        new StreamRelay(bus, streams, {
          groupId: STREAM_RELAY_GROUP,
          positionsTopic: Topics.telemetryPositions,
          eventsTopic: Topics.projectionEvents,
          missionsTopic: Topics.workflowEvents,
          positionIntervalMs: s.positionIntervalMs,
          retentionMs: s.retentionMs,
          log: logger,
          watching: w,
        }),
      inject: [BUS, StreamLog, STREAM_SETTINGS, LOGGER, WatchingTenants],
    },
    StreamLifecycle,
  ],
})
export class GatewayStreamModule {}
