import { Controller } from '@nestjs/common';
import { type DataOf, type Envelope, queryReply, Topics } from '@meridian/contracts/core';
import { requirePrincipal } from '@meridian/contracts/identity';
import { ZoneVisitsV1 } from '@meridian/contracts/zones';
import { readScope } from '@meridian/read-model/assets';
import { ZoneQueries } from '@meridian/read-model/zones';
import { QueryHandler, type ReplyBody } from '@meridian/shared/messaging';

/**
 * Stays of assets in one zone overlapping a window, by entry time (keyset-paged): those whose zone
 * and asset the principal may see (ZoneQueries' `visitFilter`).
 */
@Controller()
export class ZoneVisitsHandler {
  constructor(private readonly zones: ZoneQueries) {}

  @QueryHandler(ZoneVisitsV1, Topics.geoQueryRequests)
  async visits(request: Envelope<DataOf<typeof ZoneVisitsV1>>): Promise<ReplyBody> {
    const { zoneId, from, to, limit, after } = request.data;
    const scope = readScope(requirePrincipal(request));
    const page = await this.zones.visitsOfZone(scope, zoneId, { from, to }, limit, after);
    return queryReply({ outcome: 'ok', result: page });
  }
}
