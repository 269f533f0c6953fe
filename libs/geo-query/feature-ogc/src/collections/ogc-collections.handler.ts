import { Controller } from '@nestjs/common';
import { type DataOf, type Envelope, queryReply, Topics } from '@meridian/contracts/core';
import { requireTenant } from '@meridian/contracts/identity';
import { OgcCollectionsV1 } from '@meridian/contracts/ogc';
import { QueryHandler, type ReplyBody } from '@meridian/shared/messaging';
import { OgcReads } from '../ogc-reads';

/** The extents of the tenant's collections (the gateway adds titles, descriptions and links). */
@Controller()
export class OgcCollectionsHandler {
  constructor(private readonly reads: OgcReads) {}

  @QueryHandler(OgcCollectionsV1, Topics.geoQueryRequests)
  async collections(request: Envelope<DataOf<typeof OgcCollectionsV1>>): Promise<ReplyBody> {
    return queryReply({ outcome: 'ok', result: await this.reads.extents(requireTenant(request)) });
  }
}
