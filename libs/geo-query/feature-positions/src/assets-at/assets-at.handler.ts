import { Controller } from '@nestjs/common';
import { AssetsAtV1 } from '@meridian/contracts/assets';
import { type DataOf, type Envelope, queryReply, Topics } from '@meridian/contracts/core';
import { requirePrincipal } from '@meridian/contracts/identity';
import { readScope } from '@meridian/read-model/assets';
import { PositionQueries } from '@meridian/read-model/positions';
import { QueryHandler, type ReplyBody } from '@meridian/shared/messaging';

/** Where each asset the principal may see was at an instant (keyset-paged by asset id); see PositionQueries.at. */
@Controller()
export class AssetsAtHandler {
  constructor(private readonly positions: PositionQueries) {}

  @QueryHandler(AssetsAtV1, Topics.geoQueryRequests)
  async at(request: Envelope<DataOf<typeof AssetsAtV1>>): Promise<ReplyBody> {
    const { at, maxAgeSeconds, bbox, limit, after } = request.data;
    const scope = readScope(requirePrincipal(request));
    const page = await this.positions.at(scope, at, maxAgeSeconds, bbox, limit, after);
    return queryReply({ outcome: 'ok', result: page });
  }
}
