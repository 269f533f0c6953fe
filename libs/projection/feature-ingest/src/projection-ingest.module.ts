import { type BeforeApplicationShutdown, Inject, Injectable, Module, type OnApplicationBootstrap, type OnModuleInit } from '@nestjs/common';
import type { Pool } from 'pg';
import type { Logger } from 'pino';
import { Topics } from '@meridian/contracts';
import { migrate } from '@meridian/shared/event-store';
import { type MessageBus, Subscription } from '@meridian/shared/messaging';
import { BUS, LOGGER, PG_POOL, withLogContext } from '@meridian/shared/service-kit';
import { AssetLatestRepository, PositionsRepository, READ_SCHEMA, readModelMigrations } from '@meridian/projection/data-access';
import { projectAssetEvent } from './asset-events.projector';
import { parsePosition } from './telemetry.ingestor';

/** Runs the read-model migrations, then the workflow-event projector and the telemetry batch ingestor. */
@Injectable()
export class ProjectionIngest implements OnModuleInit, OnApplicationBootstrap, BeforeApplicationShutdown {
  private readonly subscriptions: Subscription[] = [];
  /** Fixes written since start; exposed for health and benchmarks. */
  positionsWritten = 0;

  constructor(
    @Inject(PG_POOL) private readonly pool: Pool,
    @Inject(BUS) private readonly bus: MessageBus,
    @Inject(LOGGER) private readonly logger: Logger,
  ) {}

  async onModuleInit(): Promise<void> {
    const applied = await migrate(this.pool, READ_SCHEMA, readModelMigrations);
    if (applied.length) this.logger.info({ schema: READ_SCHEMA, applied }, 'migrations applied');
  }

  async onApplicationBootstrap(): Promise<void> {
    const assets = new AssetLatestRepository(this.pool);
    const positions = new PositionsRepository(this.pool);

    const events = new Subscription(this.bus, {
      groupId: 'projection.workflow-events',
      topics: [Topics.workflowEvents],
      concurrency: 3,
      log: this.logger,
    });
    await events.run((event) => withLogContext(event, () => projectAssetEvent(assets, event)));
    this.subscriptions.push(events);

    const telemetry = new Subscription(this.bus, {
      groupId: 'projection.telemetry',
      topics: [Topics.telemetryPositions],
      concurrency: 3,
      log: this.logger,
    });
    await telemetry.runBatch(parsePosition, async (rows) => {
      const { inserted } = await positions.write(rows);
      this.positionsWritten += inserted;
    });
    this.subscriptions.push(telemetry);
  }

  async beforeApplicationShutdown(): Promise<void> {
    await Promise.all(this.subscriptions.map((s) => s.stop()));
  }
}

@Module({ providers: [ProjectionIngest] })
export class ProjectionIngestModule {}
