import { Inject, Injectable, type OnApplicationBootstrap, type OnApplicationShutdown } from '@nestjs/common';
import type { Pool } from 'pg';
import type { Logger } from 'pino';
import { READ_POOL } from '@meridian/read-model/data-source';
import { type GeofenceIndexKind, Geofencer, ZoneWriter } from '@meridian/read-model/zones';
import { LOGGER } from '@meridian/shared/service-kit';

export const GEOFENCE_SETTINGS = Symbol('meridian.geofence-settings');

export interface GeofenceSettings {
  /** How often zones whose validity window opened or closed are re-evaluated. */
  readonly validityIntervalMs: number;
  /** Where fixes meet zones: an in-memory R-tree per tenant, or a spatial join in PostgreSQL (ADR 0017). */
  readonly index: GeofenceIndexKind;
}

/**
 * A zone's validity window opens and closes with the clock, not with an event: this schedule
 * finds the zones whose validity changed since geofencing last counted them and yields the
 * entries and exits that follow. A failed run is retried at the next interval.
 */
@Injectable()
export class ValiditySchedule implements OnApplicationBootstrap, OnApplicationShutdown {
  private timer: NodeJS.Timeout | null = null;
  private running: Promise<void> | null = null;
  private readonly writer: ZoneWriter;

  constructor(
    @Inject(READ_POOL) pool: Pool,
    geofencer: Geofencer,
    @Inject(GEOFENCE_SETTINGS) private readonly settings: GeofenceSettings,
    @Inject(LOGGER) private readonly logger: Logger,
  ) {
    this.writer = new ZoneWriter(pool, geofencer);
  }

  onApplicationBootstrap(): void {
    this.timer = setInterval(() => void this.tick(), this.settings.validityIntervalMs);
    this.timer.unref();
  }

  async onApplicationShutdown(): Promise<void> {
    if (this.timer) clearInterval(this.timer);
    await this.running;
  }

  /** One run (also for tests); runs do not overlap. */
  async tick(now = new Date()): Promise<number> {
    if (this.running) return 0;
    let made = 0;
    this.running = (async () => {
      try {
        made = (await this.writer.validityTick(now)).length;
        if (made) this.logger.info({ transitions: made }, 'zone validity changed: geofence re-evaluated');
      } catch (err) {
        this.logger.warn({ err }, 'zone validity check failed; retrying at the next interval');
      }
    })();
    await this.running;
    this.running = null;
    return made;
  }
}
