import { Inject, Injectable, type OnApplicationBootstrap, type OnApplicationShutdown } from '@nestjs/common';
import type { Pool } from 'pg';
import type { Logger } from 'pino';
import { READ_POOL } from '@meridian/read-model/data-source';
import { PositionPartitions } from '@meridian/read-model/positions';
import { LOGGER } from '@meridian/shared/service-kit';

export const PARTITION_SETTINGS = Symbol('meridian.partition-settings');

export interface PartitionSettings {
  readonly aheadDays: number;
  readonly behindDays: number;
  readonly intervalMs: number;
}

/**
 * Keeps day partitions ready ahead of the clock, so writers never wait on a `CREATE TABLE …
 * PARTITION OF` (which locks the parent table) for today's or tomorrow's fixes.
 */
@Injectable()
export class PartitionMaintenance implements OnApplicationBootstrap, OnApplicationShutdown {
  private timer: NodeJS.Timeout | null = null;
  private readonly partitions: PositionPartitions;

  constructor(
    @Inject(READ_POOL) pool: Pool,
    @Inject(PARTITION_SETTINGS) private readonly settings: PartitionSettings,
    @Inject(LOGGER) private readonly logger: Logger,
  ) {
    this.partitions = new PositionPartitions(pool);
  }

  async onApplicationBootstrap(): Promise<void> {
    await this.run();
    this.timer = setInterval(() => void this.run(), this.settings.intervalMs);
    this.timer.unref();
  }

  onApplicationShutdown(): void {
    if (this.timer) clearInterval(this.timer);
  }

  private async run(): Promise<void> {
    try {
      const { aheadDays, behindDays } = this.settings;
      const created = await this.partitions.ensureAhead(Date.now(), behindDays, aheadDays);
      if (created.length) this.logger.info({ created: created.length }, 'position partitions created ahead');
    } catch (err) {
      this.logger.warn({ err }, 'partition maintenance failed; retrying at the next interval');
    }
  }
}
