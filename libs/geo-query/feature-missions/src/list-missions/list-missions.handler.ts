import { Controller } from '@nestjs/common';
import { type DataOf, type Envelope, queryReply, Topics } from '@meridian/contracts/core';
import { requirePrincipal } from '@meridian/contracts/identity';
import { ListMissionsV1 } from '@meridian/contracts/missions';
import { readScope } from '@meridian/read-model/assets';
import { MissionQueries } from '@meridian/read-model/missions';
import { QueryHandler, type ReplyBody } from '@meridian/shared/messaging';
import { missionFor } from '../allowed-events';

/**
 * One keyset page of the missions the principal may see: in a state, whose area intersects a bbox,
 * whose window overlaps `[from, to)`, each when given; each with the caller's allowedEvents.
 */
@Controller()
export class ListMissionsHandler {
  constructor(private readonly missions: MissionQueries) {}

  @QueryHandler(ListMissionsV1, Topics.geoQueryRequests)
  async list(request: Envelope<DataOf<typeof ListMissionsV1>>): Promise<ReplyBody> {
    const { state, bbox, from, to, limit, after } = request.data;
    const scope = readScope(requirePrincipal(request));
    const page = await this.missions.list(scope, { state, bbox, from, to }, limit, after);
    return queryReply({ outcome: 'ok', result: { ...page, items: page.items.map((m) => missionFor(m, scope)) } });
  }
}
