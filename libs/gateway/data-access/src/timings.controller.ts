import { Controller, Delete, Get, HttpCode } from '@nestjs/common';
import { RequirePermission } from '@meridian/gateway/util-auth';
import { CommandTimings, type TimingsSnapshot } from './command-timings';
import './timings.openapi';

/**
 * The per-hop latency breakdown of commands since the last reset (see `CommandTimings`). Outside
 * `/v1`: an operator's tool, not part of the public API, and it belongs to no tenant.
 */
@Controller('internal/timings')
@RequirePermission('audit:read')
export class TimingsController {
  constructor(private readonly timings: CommandTimings) {}

  @Get()
  get(): TimingsSnapshot {
    return this.timings.snapshot();
  }

  @Delete()
  @HttpCode(204)
  reset(): void {
    this.timings.reset();
  }
}
