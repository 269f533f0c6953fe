import { Controller } from '@nestjs/common';
import { CodedError, type DataOf, type Envelope, queryReply, Topics } from '@meridian/contracts/core';
import { requirePrincipal } from '@meridian/contracts/identity';
import { MissionErrors, MissionHistoryV1 } from '@meridian/contracts/missions';
import { readScope } from '@meridian/read-model/assets';
import { MissionQueries } from '@meridian/read-model/missions';
import { QueryHandler, type ReplyBody } from '@meridian/shared/messaging';

/**
 * A mission's history by version (who did what, when), one keyset page after `after`, if the
 * principal may see the mission; else MISSION.NOT_FOUND, as for the mission itself.
 */
@Controller()
export class MissionHistoryHandler {
  constructor(private readonly missions: MissionQueries) {}

  @QueryHandler(MissionHistoryV1, Topics.geoQueryRequests)
  async history(request: Envelope<DataOf<typeof MissionHistoryV1>>): Promise<ReplyBody> {
    const { missionId, limit, after } = request.data;
    const page = await this.missions.history(readScope(requirePrincipal(request)), missionId, limit, after);
    if (!page) throw new CodedError(MissionErrors.missionNotFound, `mission ${missionId} not found`);
    return queryReply({ outcome: 'ok', result: page });
  }
}
