import { Controller } from '@nestjs/common';
import { type DataOf, type Envelope, queryReply, Topics } from '@meridian/contracts/core';
import { requirePrincipal } from '@meridian/contracts/identity';
import { OgcCollectionsV1 } from '@meridian/contracts/ogc';
import { readScope } from '@meridian/read-model/assets';
import { QueryHandler, type ReplyBody } from '@meridian/shared/messaging';
import { OgcReads } from '../ogc-reads';

/** The extents of the collections as the principal sees them (the gateway adds titles, descriptions and links). */
@Controller()
export class OgcCollectionsHandler {
  constructor(private readonly reads: OgcReads) {}

  @QueryHandler(OgcCollectionsV1, Topics.geoQueryRequests)
  async collections(request: Envelope<DataOf<typeof OgcCollectionsV1>>): Promise<ReplyBody> {
    const extents = await this.reads.extents(readScope(requirePrincipal(request)));
    return queryReply({ outcome: 'ok', result: extents });
  }
}
