import { Controller } from '@nestjs/common';
import { type DataOf, type Envelope, queryReply, Topics } from '@meridian/contracts/core';
import { requirePrincipal } from '@meridian/contracts/identity';
import { AssetVisitsV1 } from '@meridian/contracts/zones';
import { readScope } from '@meridian/read-model/assets';
import { ZoneQueries } from '@meridian/read-model/zones';
import { QueryHandler, type ReplyBody } from '@meridian/shared/messaging';

/**
 * Stays of one asset in zones overlapping a window, by entry time (keyset-paged): those whose zone
 * and asset the principal may see (ZoneQueries' `visitFilter`).
 */
@Controller()
export class AssetVisitsHandler {
  constructor(private readonly zones: ZoneQueries) {}

  @QueryHandler(AssetVisitsV1, Topics.geoQueryRequests)
  async visits(request: Envelope<DataOf<typeof AssetVisitsV1>>): Promise<ReplyBody> {
    const { assetId, from, to, limit, after } = request.data;
    const scope = readScope(requirePrincipal(request));
    const page = await this.zones.visitsOfAsset(scope, assetId, { from, to }, limit, after);
    return queryReply({ outcome: 'ok', result: page });
  }
}
