import { Controller, Get, Query, Res } from '@nestjs/common';
import type { FastifyReply } from 'fastify';
import { z } from 'zod';
import { type HeatCell, Heatmap, HEATMAP_WINDOW_MAX_DAYS, HeatmapV1 } from '@meridian/contracts/assets';
import { ServiceBus } from '@meridian/gateway/data-access';
import { GEOJSON_TYPE, numericParam, parseBbox, parseOr400, Tenant } from '@meridian/gateway/util-http';
import { RequirePermission } from '@meridian/gateway/util-auth';
import { historyWindow, historyWindowParams, missing } from '../position-window';

export const HEATMAP_RESOLUTION_DEFAULT = 7;

export const HeatmapParams = z.strictObject({
  bbox: z.string().optional(),
  ...historyWindowParams,
  resolution: numericParam(z.number().int().min(0).max(15)).default(HEATMAP_RESOLUTION_DEFAULT),
});

export interface HeatmapCollection {
  readonly type: 'FeatureCollection';
  readonly features: HeatCell[];
  readonly numberReturned: number;
  readonly resolution: number;
  readonly source: Heatmap['source'];
  /** The window counted: whole hours around the one asked for when `source` is `rollup`. */
  readonly timeWindow: { readonly from: string; readonly to: string };
}

@Controller('v1/heatmap')
export class HeatmapController {
  constructor(private readonly bus: ServiceBus) {}

  /** Fix counts per H3 cell (centre in `bbox`) over a window, as cell hexagons. */
  @Get()
  @RequirePermission('positions:read')
  async heatmap(
    @Tenant() tenantId: string,
    @Query() query: Record<string, unknown>,
    @Res({ passthrough: true }) reply: FastifyReply,
  ): Promise<HeatmapCollection> {
    const params = parseOr400(HeatmapParams, query);
    const bbox = parseBbox(params.bbox);
    if (!bbox) throw missing('bbox');
    const window = historyWindow(params, HEATMAP_WINDOW_MAX_DAYS);
    const heatmap = Heatmap.parse(
      await this.bus.query(HeatmapV1, { bbox, ...window, resolution: params.resolution }, tenantId),
    );
    void reply.header('content-type', GEOJSON_TYPE);
    return {
      type: 'FeatureCollection',
      features: heatmap.items,
      numberReturned: heatmap.items.length,
      resolution: heatmap.resolution,
      source: heatmap.source,
      timeWindow: { from: heatmap.from, to: heatmap.to },
    };
  }
}
