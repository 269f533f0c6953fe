import { Controller } from '@nestjs/common';
import { CodedError, type DataOf, type Envelope, queryReply, Topics } from '@meridian/contracts/core';
import { requirePrincipal } from '@meridian/contracts/identity';
import { GetZoneV1, ZoneErrors } from '@meridian/contracts/zones';
import { readScope } from '@meridian/read-model/assets';
import { ZoneQueries } from '@meridian/read-model/zones';
import { QueryHandler, type ReplyBody } from '@meridian/shared/messaging';

/**
 * One zone by id, archived or not (an archived zone carries `archivedAt`), if the principal may see
 * it (`zones:read`); one it may not is as not found as one that does not exist.
 */
@Controller()
export class GetZoneHandler {
  constructor(private readonly zones: ZoneQueries) {}

  @QueryHandler(GetZoneV1, Topics.geoQueryRequests)
  async get(request: Envelope<DataOf<typeof GetZoneV1>>): Promise<ReplyBody> {
    const { zoneId } = request.data;
    const zone = await this.zones.get(readScope(requirePrincipal(request)), zoneId);
    if (!zone) throw new CodedError(ZoneErrors.zoneNotFound, `zone ${zoneId} not found`);
    return queryReply({ outcome: 'ok', result: zone });
  }
}
