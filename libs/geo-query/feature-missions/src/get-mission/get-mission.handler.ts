import { Controller } from '@nestjs/common';
import { CodedError, type DataOf, type Envelope, queryReply, Topics } from '@meridian/contracts/core';
import { requirePrincipal } from '@meridian/contracts/identity';
import { GetMissionV1, MissionErrors } from '@meridian/contracts/missions';
import { readScope } from '@meridian/read-model/assets';
import { MissionQueries } from '@meridian/read-model/missions';
import { QueryHandler, type ReplyBody } from '@meridian/shared/messaging';
import { missionFor } from '../allowed-events';

/**
 * One mission by id with the events the principal may send it now, if the principal may see it
 * (`missions:read`, its area in the principal's region); one it may not is as not found as one that
 * does not exist, in this tenant or another.
 */
@Controller()
export class GetMissionHandler {
  constructor(private readonly missions: MissionQueries) {}

  @QueryHandler(GetMissionV1, Topics.geoQueryRequests)
  async get(request: Envelope<DataOf<typeof GetMissionV1>>): Promise<ReplyBody> {
    const { missionId } = request.data;
    const scope = readScope(requirePrincipal(request));
    const mission = await this.missions.get(scope, missionId);
    if (!mission) throw new CodedError(MissionErrors.missionNotFound, `mission ${missionId} not found`);
    return queryReply({ outcome: 'ok', result: missionFor(mission, scope) });
  }
}
