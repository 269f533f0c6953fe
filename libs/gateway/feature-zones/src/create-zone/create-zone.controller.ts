import { randomUUID } from 'node:crypto';
import { Body, Controller, Headers, Post, Res } from '@nestjs/common';
import type { FastifyReply } from 'fastify';
import { v7 as uuidv7 } from 'uuid';
import { CreateZoneV2 } from '@meridian/contracts/zones';
import { Idempotency, ServiceBus, type StoredResponse } from '@meridian/gateway/data-access';
import { parseOr400, Tenant } from '@meridian/gateway/util-http';
import { stableUuid } from '@meridian/shared/util';
import { RequirePermission } from '@meridian/gateway/util-auth';
import { CreateZoneBody, creatableKind, zoneCommandResponse, zoneContent } from '../zone-commands';

@Controller('v1/zones')
export class CreateZoneController {
  constructor(
    private readonly bus: ServiceBus,
    private readonly idempotency: Idempotency,
  ) {}

  /**
   * 201 `{id, version}` once workflow stored the zone; with `Idempotency-Key`, a retry gets the first answer.
   * Kind `mission_area` is refused (ZONE.KIND_RESERVED): those zones are made with their missions.
   */
  @Post()
  @RequirePermission('zones:write')
  async create(
    @Tenant() tenantId: string,
    @Body() body: unknown,
    @Headers('idempotency-key') key: string | undefined,
    @Res({ passthrough: true }) reply: FastifyReply,
  ): Promise<unknown> {
    const input = parseOr400(CreateZoneBody, body);
    const kind = creatableKind(input.kind);
    const content = zoneContent(input);
    const send = (zoneId: string, commandId: string): Promise<StoredResponse> =>
      this.bus
        .command(CreateZoneV2, zoneId, { ...content, zoneId, kind }, tenantId, commandId)
        .then((outcome) => zoneCommandResponse(zoneId, outcome, true));
    const response = key
      ? await this.idempotency.run(tenantId, key, input, () =>
          send(stableUuid(`zone:${tenantId}:${key}`), stableUuid(`command:${tenantId}:${key}`)),
        )
      : await send(uuidv7(), randomUUID());
    void reply.status(response.status);
    if (response.location) void reply.header('location', response.location);
    return response.body;
  }
}
