import { Controller } from '@nestjs/common';
import { HeatmapV1 } from '@meridian/contracts/assets';
import { type DataOf, type Envelope, queryReply, Topics } from '@meridian/contracts/core';
import { requirePrincipal } from '@meridian/contracts/identity';
import { readScope } from '@meridian/read-model/assets';
import { PositionQueries } from '@meridian/read-model/positions';
import { QueryHandler, type ReplyBody } from '@meridian/shared/messaging';

/**
 * Fix counts per H3 cell over a window, as cell hexagons: of the fixes the principal may see (from
 * the fixes themselves when its row filter hides anything; see PositionQueries.heatmap).
 */
@Controller()
export class HeatmapHandler {
  constructor(private readonly positions: PositionQueries) {}

  @QueryHandler(HeatmapV1, Topics.geoQueryRequests)
  async heatmap(request: Envelope<DataOf<typeof HeatmapV1>>): Promise<ReplyBody> {
    const { bbox, from, to, resolution } = request.data;
    const scope = readScope(requirePrincipal(request));
    const heatmap = await this.positions.heatmap(scope, bbox, { from, to }, resolution);
    return queryReply({ outcome: 'ok', result: heatmap });
  }
}
