import { Controller, Delete, Param, Res } from '@nestjs/common';
import type { FastifyReply } from 'fastify';
import { v7 as uuidv7 } from 'uuid';
import { ErrorCodes } from '@meridian/contracts/core';
import { DisableUserV1, principalKey } from '@meridian/contracts/identity';
import { RequirePermission } from '@meridian/gateway/util-auth';
import { parseOr400, Tenant } from '@meridian/gateway/util-http';
import { answer, commandResponse, IdentityCommands } from '../admin-commands';
import { UserIdParam } from '../membership';

@Controller('v1/users')
export class DisableUserController {
  constructor(private readonly commands: IdentityCommands) {}

  /** 204 once disabled: no more logins, and its tokens are refused from the next principal snapshot on. */
  @Delete(':id')
  @RequirePermission('identity:admin')
  async disable(
    @Tenant() tenantId: string,
    @Param('id') id: string,
    @Res({ passthrough: true }) reply: FastifyReply,
  ): Promise<unknown> {
    const userId = parseOr400(UserIdParam, id, ErrorCodes.requestInvalid, 'id');
    const outcome = await this.commands.send(
      DisableUserV1,
      principalKey(tenantId, userId),
      { userId },
      tenantId,
      uuidv7(),
    );
    const response = commandResponse(outcome, { id: userId });
    return answer(reply, response.status === 200 ? { status: 204, body: undefined } : response);
  }
}
