import { Controller, Get, Param, Query, Res } from '@nestjs/common';
import type { FastifyReply } from 'fastify';
import { z } from 'zod';
import {
  AssetTrackV1,
  TRACK_GAP_DEFAULT_SECONDS,
  TRACK_WINDOW_MAX_DAYS,
  TrackFeature,
} from '@meridian/contracts/assets';
import { ErrorCodes } from '@meridian/contracts/core';
import { ServiceBus } from '@meridian/gateway/data-access';
import { GEOJSON_TYPE, numericParam, parseOr400, Tenant } from '@meridian/gateway/util-http';
import { RequirePermission } from '@meridian/gateway/util-auth';
import { historyWindow, historyWindowParams } from '../position-window';

export const TrackParams = z.strictObject({
  ...historyWindowParams,
  /** Douglas–Peucker tolerance in metres; 0 keeps every fix. */
  simplify: numericParam(z.number().min(0).max(100_000)).default(0),
  /** Seconds between fixes past which the track is split into separate lines. */
  gap: numericParam(
    z
      .number()
      .int()
      .min(1)
      .max(86_400 * 7),
  ).default(TRACK_GAP_DEFAULT_SECONDS),
});

@Controller('v1/assets')
export class AssetTrackController {
  constructor(private readonly bus: ServiceBus) {}

  /** The path of one asset in `[from, to)` with the time of every vertex. */
  @Get(':id/track')
  @RequirePermission('positions:read')
  async track(
    @Tenant() tenantId: string,
    @Param('id') id: string,
    @Query() query: Record<string, unknown>,
    @Res({ passthrough: true }) reply: FastifyReply,
  ): Promise<TrackFeature> {
    const assetId = parseOr400(z.uuid(), id, ErrorCodes.requestInvalid, 'id');
    const params = parseOr400(TrackParams, query);
    const window = historyWindow(params, TRACK_WINDOW_MAX_DAYS);
    const track = TrackFeature.parse(
      await this.bus.query(
        AssetTrackV1,
        { assetId, ...window, simplifyMeters: params.simplify, gapSeconds: params.gap },
        tenantId,
      ),
    );
    void reply.header('content-type', GEOJSON_TYPE);
    return track;
  }
}
