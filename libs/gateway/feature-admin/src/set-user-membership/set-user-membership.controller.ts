import { Body, Controller, Param, Put, Res } from '@nestjs/common';
import type { FastifyReply } from 'fastify';
import { v7 as uuidv7 } from 'uuid';
import { ErrorCodes } from '@meridian/contracts/core';
import { principalKey, SetUserMembershipV1 } from '@meridian/contracts/identity';
import { RequirePermission } from '@meridian/gateway/util-auth';
import { parseOr400, Tenant } from '@meridian/gateway/util-http';
import { answer, commandResponse, IdentityCommands } from '../admin-commands';
import { checkedMembership, MembershipBody, UserIdParam } from '../membership';

@Controller('v1/users')
export class SetUserMembershipController {
  constructor(private readonly commands: IdentityCommands) {}

  /**
   * 200 `{id, version}`: the user's roles and attributes replaced, a permission change (audited,
   * enforced by the gateway within seconds of identity publishing the new snapshot).
   */
  @Put(':id/membership')
  @RequirePermission('identity:admin')
  async set(
    @Tenant() tenantId: string,
    @Param('id') id: string,
    @Body() body: unknown,
    @Res({ passthrough: true }) reply: FastifyReply,
  ): Promise<unknown> {
    const userId = parseOr400(UserIdParam, id, ErrorCodes.requestInvalid, 'id');
    const { roles, attributes } = checkedMembership(parseOr400(MembershipBody, body));
    const data = { userId, roles, attributes };
    const outcome = await this.commands.send(
      SetUserMembershipV1,
      principalKey(tenantId, userId),
      data,
      tenantId,
      uuidv7(),
    );
    return answer(reply, commandResponse(outcome, { id: userId }));
  }
}
