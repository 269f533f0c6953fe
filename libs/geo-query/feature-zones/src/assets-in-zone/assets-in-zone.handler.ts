import { Controller } from '@nestjs/common';
import { type DataOf, type Envelope, queryReply, Topics } from '@meridian/contracts/core';
import { requirePrincipal } from '@meridian/contracts/identity';
import { AssetsInZoneV1 } from '@meridian/contracts/zones';
import { readScope } from '@meridian/read-model/assets';
import { ZoneQueries } from '@meridian/read-model/zones';
import { QueryHandler, type ReplyBody } from '@meridian/shared/messaging';

/** The assets inside a zone now (open stays) that the principal may see with the zone, in asset id order. */
@Controller()
export class AssetsInZoneHandler {
  constructor(private readonly zones: ZoneQueries) {}

  @QueryHandler(AssetsInZoneV1, Topics.geoQueryRequests)
  async inside(request: Envelope<DataOf<typeof AssetsInZoneV1>>): Promise<ReplyBody> {
    const { zoneId, limit, after } = request.data;
    const page = await this.zones.inside(readScope(requirePrincipal(request)), zoneId, limit, after);
    return queryReply({ outcome: 'ok', result: page });
  }
}
