import { Controller, Get, Param, Res } from '@nestjs/common';
import type { FastifyReply } from 'fastify';
import { GetMissionV1, Mission } from '@meridian/contracts/missions';
import { ServiceBus } from '@meridian/gateway/data-access';
import { RequirePermission } from '@meridian/gateway/util-auth';
import { Tenant } from '@meridian/gateway/util-http';
import { missionIdParam } from '../mission-commands';

@Controller('v1/missions')
export class GetMissionController {
  constructor(private readonly bus: ServiceBus) {}

  /** The mission with the events the caller may send it now, and `ETag: "<version>"` for `If-Match`. */
  @Get(':id')
  @RequirePermission('missions:read')
  async get(
    @Tenant() tenantId: string,
    @Param('id') id: string,
    @Res({ passthrough: true }) reply: FastifyReply,
  ): Promise<Mission> {
    const missionId = missionIdParam(id);
    const mission = Mission.parse(await this.bus.query(GetMissionV1, { missionId }, tenantId));
    void reply.header('etag', `"${mission.version}"`);
    return mission;
  }
}
