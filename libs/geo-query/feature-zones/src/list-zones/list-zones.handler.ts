import { Controller } from '@nestjs/common';
import { type DataOf, type Envelope, queryReply, Topics } from '@meridian/contracts/core';
import { requirePrincipal } from '@meridian/contracts/identity';
import { ListZonesV1 } from '@meridian/contracts/zones';
import { readScope } from '@meridian/read-model/assets';
import { ZoneQueries } from '@meridian/read-model/zones';
import { QueryHandler, type ReplyBody } from '@meridian/shared/messaging';

/** One keyset page of the live zones the principal may see (intersecting a bbox, of a kind, when given). */
@Controller()
export class ListZonesHandler {
  constructor(private readonly zones: ZoneQueries) {}

  @QueryHandler(ListZonesV1, Topics.geoQueryRequests)
  async list(request: Envelope<DataOf<typeof ListZonesV1>>): Promise<ReplyBody> {
    const { bbox, kind, limit, after } = request.data;
    const page = await this.zones.list(readScope(requirePrincipal(request)), limit, { bbox, kind }, after);
    return queryReply({ outcome: 'ok', result: page });
  }
}
