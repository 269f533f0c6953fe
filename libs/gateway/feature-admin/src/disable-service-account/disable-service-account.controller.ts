import { Controller, Delete, Param, Res } from '@nestjs/common';
import type { FastifyReply } from 'fastify';
import { v7 as uuidv7 } from 'uuid';
import { ErrorCodes } from '@meridian/contracts/core';
import { DisableServiceAccountV1 } from '@meridian/contracts/identity';
import { RequirePermission } from '@meridian/gateway/util-auth';
import { parseOr400, Tenant } from '@meridian/gateway/util-http';
import { answer, commandResponse, IdentityCommands } from '../admin-commands';
import { ClientIdParam } from '../membership';

@Controller('v1/service-accounts')
export class DisableServiceAccountController {
  constructor(private readonly commands: IdentityCommands) {}

  /** 204 once disabled: it gets no new tokens, and its tokens are refused from the next snapshot on. */
  @Delete(':clientId')
  @RequirePermission('identity:admin')
  async disable(
    @Tenant() tenantId: string,
    @Param('clientId') clientId: string,
    @Res({ passthrough: true }) reply: FastifyReply,
  ): Promise<unknown> {
    const id = parseOr400(ClientIdParam, clientId, ErrorCodes.requestInvalid, 'clientId');
    const outcome = await this.commands.send(DisableServiceAccountV1, id, { clientId: id }, tenantId, uuidv7());
    const response = commandResponse(outcome, { clientId: id });
    return answer(reply, response.status === 200 ? { status: 204, body: undefined } : response);
  }
}
