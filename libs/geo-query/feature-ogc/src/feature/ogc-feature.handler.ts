import { Controller } from '@nestjs/common';
import { CodedError, type DataOf, type Envelope, queryReply, Topics } from '@meridian/contracts/core';
import { requirePrincipal } from '@meridian/contracts/identity';
import { OgcErrors, OgcFeatureV1 } from '@meridian/contracts/ogc';
import { readScope } from '@meridian/read-model/assets';
import { QueryHandler, type ReplyBody } from '@meridian/shared/messaging';
import { OgcReads } from '../ogc-reads';

/**
 * One feature by id; an id that cannot name one of the collection's features, or names one the
 * principal may not see, is not found.
 */
@Controller()
export class OgcFeatureHandler {
  constructor(private readonly reads: OgcReads) {}

  @QueryHandler(OgcFeatureV1, Topics.geoQueryRequests)
  async feature(request: Envelope<DataOf<typeof OgcFeatureV1>>): Promise<ReplyBody> {
    const { collection, featureId } = request.data;
    const feature = await this.reads.feature(readScope(requirePrincipal(request)), collection, featureId);
    if (!feature) throw new CodedError(OgcErrors.featureNotFound, `no feature ${featureId} in ${collection}`);
    return queryReply({ outcome: 'ok', result: feature });
  }
}
