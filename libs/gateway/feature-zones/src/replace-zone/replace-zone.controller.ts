import { randomUUID } from 'node:crypto';
import { Body, Controller, Headers, Param, Put, Res } from '@nestjs/common';
import type { FastifyReply } from 'fastify';
import { ReplaceZoneV2 } from '@meridian/contracts/zones';
import { ServiceBus } from '@meridian/gateway/data-access';
import { parseIfMatch, parseOr400, Tenant } from '@meridian/gateway/util-http';
import { RequirePermission } from '@meridian/gateway/util-auth';
import { zoneCommandResponse, zoneContent, ZoneContentBody, zoneIdParam } from '../zone-commands';

@Controller('v1/zones')
export class ReplaceZoneController {
  constructor(private readonly bus: ServiceBus) {}

  /** 200 `{id, version}`; `If-Match: "<version>"` makes it conditional (stale → 412 REQUEST.PRECONDITION_FAILED). */
  @Put(':id')
  @RequirePermission('zones:write')
  async replace(
    @Tenant() tenantId: string,
    @Param('id') id: string,
    @Body() body: unknown,
    @Headers('if-match') ifMatch: string | undefined,
    @Res({ passthrough: true }) reply: FastifyReply,
  ): Promise<unknown> {
    const zoneId = zoneIdParam(id);
    const expectedVersion = parseIfMatch(ifMatch);
    const content = zoneContent(parseOr400(ZoneContentBody, body));
    const outcome = await this.bus.command(
      ReplaceZoneV2,
      zoneId,
      { ...content, zoneId, ...(expectedVersion === undefined ? {} : { expectedVersion }) },
      tenantId,
      randomUUID(),
    );
    const response = zoneCommandResponse(zoneId, outcome, false);
    void reply.status(response.status);
    if (outcome.outcome === 'accepted') void reply.header('etag', `"${outcome.version}"`);
    return response.body;
  }
}
