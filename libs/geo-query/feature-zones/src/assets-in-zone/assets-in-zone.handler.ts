import { Controller } from '@nestjs/common';
import { type DataOf, type Envelope, queryReply, Topics } from '@meridian/contracts/core';
import { requireTenant } from '@meridian/contracts/identity';
import { AssetsInZoneV1 } from '@meridian/contracts/zones';
import { ZoneQueries } from '@meridian/read-model/zones';
import { QueryHandler, type ReplyBody } from '@meridian/shared/messaging';

/** The assets inside a zone now (open stays), in asset id order. */
@Controller()
export class AssetsInZoneHandler {
  constructor(private readonly zones: ZoneQueries) {}

  @QueryHandler(AssetsInZoneV1, Topics.geoQueryRequests)
  async inside(request: Envelope<DataOf<typeof AssetsInZoneV1>>): Promise<ReplyBody> {
    const { zoneId, limit, after } = request.data;
    const page = await this.zones.inside(requireTenant(request), zoneId, limit, after);
    return queryReply({ outcome: 'ok', result: page });
  }
}
