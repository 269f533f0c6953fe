import { Inject, Injectable, type OnApplicationBootstrap, type OnApplicationShutdown } from '@nestjs/common';
import type { Pool } from 'pg';
import type { Logger } from 'pino';
import { READ_POOL } from '@meridian/read-model/data-source';
import { compactCells } from '@meridian/read-model/positions';
import { LOGGER } from '@meridian/shared/service-kit';

export const CELL_COMPACTION_SETTINGS = Symbol('meridian.cell-compaction-settings');

export interface CellCompactionSettings {
  /** How often closed hours are merged; 0: never (tests, benchmarks that measure the raw table). */
  readonly intervalMs: number;
}

/** An hour is merged this long after it ends, when its late batches have (nearly all) arrived. */
const CLOSED_AFTER_MS = 60 * 60 * 1000;
const MAX_HOURS_PER_RUN = 24;
const LOOK_BACK_HOURS = 7 * 24;

/**
 * Merges the per-batch rows of `read.position_cells` into one row per cell for each closed hour,
 * so a heatmap over a week reads cells × hours rows, not batches × cells (ADR 0019).
 */
@Injectable()
export class CellCompaction implements OnApplicationBootstrap, OnApplicationShutdown {
  private timer: NodeJS.Timeout | null = null;
  private running: Promise<void> | null = null;

  constructor(
    @Inject(READ_POOL) private readonly pool: Pool,
    @Inject(CELL_COMPACTION_SETTINGS) private readonly settings: CellCompactionSettings,
    @Inject(LOGGER) private readonly logger: Logger,
  ) {}

  onApplicationBootstrap(): void {
    if (this.settings.intervalMs <= 0) return;
    this.timer = setInterval(() => void this.run(), this.settings.intervalMs);
    this.timer.unref();
    void this.run();
  }

  async onApplicationShutdown(): Promise<void> {
    if (this.timer) clearInterval(this.timer);
    await this.running;
  }

  /** One pass; a pass still running is not started twice. */
  run(now = Date.now()): Promise<void> {
    this.running ??= this.pass(now).finally(() => (this.running = null));
    return this.running;
  }

  private async pass(now: number): Promise<void> {
    try {
      const done = await compactCells(this.pool, {
        now,
        closedAfterMs: CLOSED_AFTER_MS,
        maxHours: MAX_HOURS_PER_RUN,
        lookBackHours: LOOK_BACK_HOURS,
      });
      if (done.rowsBefore > done.rowsAfter) this.logger.info(done, 'position cell counts merged');
    } catch (err) {
      this.logger.warn({ err }, 'position cell compaction failed; retrying at the next interval');
    }
  }
}
