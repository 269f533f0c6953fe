import {
  type DynamicModule,
  Global,
  Inject,
  Module,
  type OnApplicationShutdown,
  type OnModuleInit,
} from '@nestjs/common';
import { dlqDefinitions, topicDefinitions } from '@meridian/contracts/core';
import Redis from 'ioredis';
import type { Pool } from 'pg';
import type { Logger } from 'pino';
import { MessageBus } from '@meridian/shared/messaging';
import { METRICS, metricsFor } from '@meridian/shared/metrics';
import { settleWithin } from '@meridian/shared/util';
import { type BaseConfig, kafkaSecurityOf } from './config';
import { createDatabasePool } from './database-pool';
import { HealthController } from './health.controller';
import { BUS, CONFIG, LOGGER, PG_POOL, REDIS, SERVICE_NAME } from './tokens';

export { createDatabasePool, type DatabasePoolOptions } from './database-pool';

export interface CoreOptions {
  readonly service: string;
  readonly config: BaseConfig;
  readonly logger: Logger;
}

/**
 * Shared infrastructure for a service: config, logger, pg pool, Redis, the message bus and the
 * health endpoints. Features stop their consumers in `beforeApplicationShutdown`; the pools close
 * here afterwards, in `onApplicationShutdown`.
 */
@Global()
@Module({})
export class CoreModule implements OnModuleInit, OnApplicationShutdown {
  constructor(
    @Inject(PG_POOL) private readonly pool: Pool,
    @Inject(REDIS) private readonly redis: Redis,
    @Inject(BUS) private readonly bus: MessageBus,
    @Inject(LOGGER) private readonly logger: Logger,
  ) {}

  static forRoot(options: CoreOptions): DynamicModule {
    const { config, logger, service } = options;
    return {
      module: CoreModule,
      controllers: [HealthController],
      providers: [
        { provide: SERVICE_NAME, useValue: service },
        { provide: CONFIG, useValue: config },
        { provide: LOGGER, useValue: logger },
        {
          provide: PG_POOL,
          useFactory: () =>
            createDatabasePool({
              url: config.DATABASE_URL,
              max: config.DATABASE_POOL_SIZE,
              applicationName: `meridian-${service}`,
              idleInTransactionTimeoutMs: config.DATABASE_IDLE_IN_TX_TIMEOUT_MS,
              log: logger,
            }),
        },
        {
          provide: REDIS,
          useFactory: () => {
            // Auto-pipelining: commands issued in the same event-loop turn (the replies of one Kafka
            // batch resuming their requests) go to Redis in one write instead of one write each.
            const redis = new Redis(config.REDIS_URL, {
              maxRetriesPerRequest: 2,
              enableOfflineQueue: true,
              enableAutoPipelining: true,
            });
            redis.on('error', (err) => logger.warn({ err: err.message }, 'redis connection problem'));
            return redis;
          },
        },
        {
          provide: BUS,
          useFactory: () =>
            new MessageBus({
              brokers: config.KAFKA_BROKERS,
              clientId: `meridian-${service}-${config.INSTANCE_ID}`,
              ...kafkaSecurityOf(config),
              replicationFactor: config.KAFKA_TOPIC_REPLICATION_FACTOR,
              log: logger,
              maxQueuedBytes: config.KAFKA_MAX_QUEUED_BYTES,
              sendTimeoutMs: config.KAFKA_SEND_TIMEOUT_MS,
              metrics: metricsFor(service),
            }),
        },
        { provide: METRICS, useValue: metricsFor(service) },
      ],
      exports: [SERVICE_NAME, CONFIG, LOGGER, PG_POOL, REDIS, BUS, METRICS],
    };
  }

  /** Auto-creation is off on the broker: every service makes sure the declared topics exist before it uses them. */
  async onModuleInit(): Promise<void> {
    const created = await this.bus.ensureTopics([...topicDefinitions, ...dlqDefinitions]);
    if (created.length) this.logger.info({ created }, 'topics created');
  }

  async onApplicationShutdown(signal?: string): Promise<void> {
    this.logger.info({ signal }, 'closing connections');
    // Some client close() promises never settle once their socket is gone; the timer keeps the
    // event loop alive so shutdown runs to the end, and each step is bounded.
    const keepAlive = setInterval(() => undefined, 200);
    try {
      // Kafka first (consumers commit what they finished), then Postgres.
      const steps: [string, () => Promise<void>][] = [
        ['kafka', () => this.bus.close()],
        ['postgres', () => this.pool.end()],
      ];
      for (const [name, step] of steps) {
        const outcome = await settleWithin(5000, step());
        if (outcome !== 'timeout' && outcome.status === 'fulfilled') continue;
        this.logger.warn(
          { connection: name, outcome: outcome === 'timeout' ? 'timeout' : String(outcome.reason) },
          'connection did not close cleanly',
        );
      }
      this.redis.disconnect();
    } finally {
      clearInterval(keepAlive);
    }
    this.logger.info({}, 'connections closed');
  }
}
