import { randomUUID } from 'node:crypto';
import { Controller, Delete, Headers, Param, Res } from '@nestjs/common';
import type { FastifyReply } from 'fastify';
import { ArchiveZoneV1 } from '@meridian/contracts/zones';
import { ServiceBus } from '@meridian/gateway/data-access';
import { parseIfMatch, Tenant } from '@meridian/gateway/util-http';
import { RequirePermission } from '@meridian/gateway/util-auth';
import { zoneCommandResponse, zoneIdParam } from '../zone-commands';

@Controller('v1/zones')
export class ArchiveZoneController {
  constructor(private readonly bus: ServiceBus) {}

  /** 204 once archived (again: still 204); the zone still reads by id, with `archivedAt`, and leaves lists. */
  @Delete(':id')
  @RequirePermission('zones:write')
  async archive(
    @Tenant() tenantId: string,
    @Param('id') id: string,
    @Headers('if-match') ifMatch: string | undefined,
    @Res({ passthrough: true }) reply: FastifyReply,
  ): Promise<unknown> {
    const zoneId = zoneIdParam(id);
    const expectedVersion = parseIfMatch(ifMatch);
    const outcome = await this.bus.command(
      ArchiveZoneV1,
      zoneId,
      { zoneId, ...(expectedVersion === undefined ? {} : { expectedVersion }) },
      tenantId,
      randomUUID(),
    );
    const response = zoneCommandResponse(zoneId, outcome, false);
    if (response.status === 200) {
      void reply.status(204);
      return undefined;
    }
    void reply.status(response.status);
    return response.body;
  }
}
