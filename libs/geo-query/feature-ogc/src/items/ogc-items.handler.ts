import { Controller } from '@nestjs/common';
import { type DataOf, type Envelope, queryReply, Topics } from '@meridian/contracts/core';
import { requirePrincipal } from '@meridian/contracts/identity';
import { OgcItemsV1 } from '@meridian/contracts/ogc';
import { readScope } from '@meridian/read-model/assets';
import { QueryHandler, type ReplyBody } from '@meridian/shared/messaging';
import { OgcReads } from '../ogc-reads';

/**
 * One keyset page of a collection's features matching bbox and datetime that the principal may see,
 * with numberMatched (of those only).
 */
@Controller()
export class OgcItemsHandler {
  constructor(private readonly reads: OgcReads) {}

  @QueryHandler(OgcItemsV1, Topics.geoQueryRequests)
  async items(request: Envelope<DataOf<typeof OgcItemsV1>>): Promise<ReplyBody> {
    const { collection, bbox, datetime, limit, after, direction } = request.data;
    const filter = { bbox, datetime };
    const scope = readScope(requirePrincipal(request));
    const page = await this.reads.items(scope, collection, filter, limit, after, direction);
    return queryReply({ outcome: 'ok', result: page });
  }
}
