import { Body, Controller, Param, Put, Res } from '@nestjs/common';
import type { FastifyReply } from 'fastify';
import { v7 as uuidv7 } from 'uuid';
import { ErrorCodes } from '@meridian/contracts/core';
import { SetServiceAccountMembershipV1 } from '@meridian/contracts/identity';
import { RequirePermission } from '@meridian/gateway/util-auth';
import { parseOr400, Tenant } from '@meridian/gateway/util-http';
import { answer, commandResponse, IdentityCommands } from '../admin-commands';
import { checkedMembership, ClientIdParam, MembershipBody } from '../membership';

@Controller('v1/service-accounts')
export class SetServiceAccountMembershipController {
  constructor(private readonly commands: IdentityCommands) {}

  /** 200 `{clientId, version}`: the account's roles and attributes replaced, a permission change. */
  @Put(':clientId/membership')
  @RequirePermission('identity:admin')
  async set(
    @Tenant() tenantId: string,
    @Param('clientId') clientId: string,
    @Body() body: unknown,
    @Res({ passthrough: true }) reply: FastifyReply,
  ): Promise<unknown> {
    const id = parseOr400(ClientIdParam, clientId, ErrorCodes.requestInvalid, 'clientId');
    const { roles, attributes } = checkedMembership(parseOr400(MembershipBody, body));
    const data = { clientId: id, roles, attributes };
    const outcome = await this.commands.send(SetServiceAccountMembershipV1, id, data, tenantId, uuidv7());
    return answer(reply, commandResponse(outcome, { clientId: id }));
  }
}
