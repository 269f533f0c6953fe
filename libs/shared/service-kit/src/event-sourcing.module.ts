import {
  type BeforeApplicationShutdown,
  type DynamicModule,
  Inject,
  Injectable,
  Module,
  type OnApplicationBootstrap,
  type OnModuleInit,
} from '@nestjs/common';
import type { Pool } from 'pg';
import type { Logger } from 'pino';
import {
  eventStoreMigrations,
  migrate,
  type Migration,
  OutboxRelay,
  PgEventStore,
  type RelayLag,
  type Upcasters,
} from '@meridian/shared/event-store';
import { type IntegrationMapper, type MessageBus, outboxPublisher } from '@meridian/shared/messaging';
import { metricsFor } from '@meridian/shared/metrics';
import type { RelayLagProbe } from './health.controller';
import { BUS, LOGGER, PG_POOL, RELAY_LAG, SERVICE_NAME } from './tokens';

export const EVENT_STORE = Symbol('meridian.event-store');
const OPTIONS = Symbol('meridian.event-sourcing-options');

export interface EventSourcingOptions {
  /** The service's own Postgres schema; no other service reads it. */
  readonly schema: string;
  /** Integration-event topic the outbox relay publishes to. */
  readonly topic: string;
  readonly map: IntegrationMapper;
  /** Further migrations of the same schema (read tables of the service itself), after the store's own. */
  readonly migrations?: readonly Migration[];
  /** Old stored event versions read as the current ones (the domain's upcasters). */
  readonly upcasters?: Upcasters;
}

@Injectable()
class EventSourcingLifecycle implements OnModuleInit, OnApplicationBootstrap, BeforeApplicationShutdown {
  private relay: OutboxRelay | null = null;

  constructor(
    @Inject(OPTIONS) private readonly options: EventSourcingOptions,
    @Inject(PG_POOL) private readonly pool: Pool,
    @Inject(BUS) private readonly bus: MessageBus,
    @Inject(LOGGER) private readonly logger: Logger,
    @Inject(SERVICE_NAME) private readonly service: string,
    @Inject(EVENT_STORE) private readonly store: PgEventStore,
  ) {}

  async onModuleInit(): Promise<void> {
    const applied = await migrate(this.pool, this.options.schema, [
      ...eventStoreMigrations(this.options.schema),
      ...(this.options.migrations ?? []),
    ]);
    if (applied.length) this.logger.info({ schema: this.options.schema, applied }, 'migrations applied');
  }

  async onApplicationBootstrap(): Promise<void> {
    const publish = outboxPublisher(this.bus, {
      service: this.service,
      topic: this.options.topic,
      map: this.options.map,
    });
    // The checkpoint belongs to one Kafka cluster: pointed at a new (or wiped) cluster, the relay
    // republishes the whole store rather than leave that cluster without the history.
    const name = `${this.options.schema}.outbox@${await this.bus.clusterId()}`;
    const metrics = metricsFor(this.service);
    this.relay = new OutboxRelay(this.pool, this.store, publish, { name, log: this.logger, metrics });
    this.relay.start();
    metrics.observeRelayLag(() => this.lag());
  }

  async beforeApplicationShutdown(): Promise<void> {
    const relay = this.relay;
    this.relay = null;
    await relay?.stop();
  }

  /** Null until the relay runs and once it stops: readiness then says so. */
  async lag(): Promise<RelayLag | null> {
    return this.relay ? this.relay.lag() : null;
  }
}

/** Event store of one service plus its outbox relay to Kafka, whose lag readiness reports. */
@Module({})
export class EventSourcingModule {
  static forRoot(options: EventSourcingOptions): DynamicModule {
    return {
      module: EventSourcingModule,
      global: true,
      providers: [
        { provide: OPTIONS, useValue: options },
        {
          provide: EVENT_STORE,
          useFactory: (pool: Pool, service: string) =>
            new PgEventStore(pool, options.schema, options.upcasters, metricsFor(service)),
          inject: [PG_POOL, SERVICE_NAME],
        },
        EventSourcingLifecycle,
        {
          provide: RELAY_LAG,
          useFactory:
            (lifecycle: EventSourcingLifecycle): RelayLagProbe =>
            () =>
              lifecycle.lag(),
          inject: [EventSourcingLifecycle],
        },
      ],
      exports: [EVENT_STORE, RELAY_LAG],
    };
  }
}
