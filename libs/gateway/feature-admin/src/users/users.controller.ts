import { randomUUID } from 'node:crypto';
import { Body, Controller, Delete, Get, HttpCode, Inject, Param, Post, Put, Query, Res } from '@nestjs/common';
import type { FastifyReply } from 'fastify';
import { v7 as uuidv7 } from 'uuid';
import { z } from 'zod';
import { DisplayName } from '@meridian/contracts/core';
import {
  AccountErrors,
  CreateUserV1,
  DisableUserV1,
  Email,
  principalKey,
  SetUserMembershipV1,
  Username,
} from '@meridian/contracts/identity';
import { GATEWAY_SETTINGS, type GatewaySettings, PrincipalDirectory, ServiceBus } from '@meridian/gateway/data-access';
import { RequirePermission } from '@meridian/gateway/util-auth';
import { parseOr400, Tenant } from '@meridian/gateway/util-http';
import { sealSecret } from '@meridian/shared/util';
import { adminResponse, checkRegion, identityCommand, MembershipBody, userIdParam } from '../admin-commands';
import { getPrincipal, listPrincipals, type PrincipalList, type PrincipalView } from '../principal-reads';

export const CreateUserBody = MembershipBody.extend({
  username: Username,
  displayName: DisplayName,
  email: Email.optional(),
  /** Optional: a user of a federated organisation logs in at its own IdP and needs none. */
  password: z.string().min(8).max(1024).optional(),
});

/** People of the tenant: their roles and attributes (who may see what), created and changed by administrators. */
@Controller('v1/users')
export class UsersController {
  constructor(
    private readonly bus: ServiceBus,
    private readonly directory: PrincipalDirectory,
    @Inject(GATEWAY_SETTINGS) private readonly settings: GatewaySettings,
  ) {}

  @Post()
  @RequirePermission('identity:admin')
  async create(
    @Tenant() tenantId: string,
    @Body() body: unknown,
    @Res({ passthrough: true }) reply: FastifyReply,
  ): Promise<unknown> {
    const input = checkRegion(parseOr400(CreateUserBody, body)) as z.infer<typeof CreateUserBody>;
    const userId = uuidv7();
    const outcome = await identityCommand(
      this.bus,
      CreateUserV1,
      principalKey(tenantId, userId),
      {
        userId,
        username: input.username,
        displayName: input.displayName,
        ...(input.email ? { email: input.email } : {}),
        ...(input.password ? { password: sealSecret(this.settings.secretsKey, input.password) } : {}),
        roles: input.roles,
        attributes: input.attributes,
      },
      tenantId,
      randomUUID(),
    );
    const response = adminResponse(outcome, { id: userId }, { location: `/v1/users/${userId}` });
    void reply.status(response.status);
    if (response.location) void reply.header('location', response.location);
    return response.body;
  }

  @Get()
  @RequirePermission('identity:read')
  list(@Tenant() tenantId: string, @Query() query: Record<string, unknown>): Promise<PrincipalList> {
    return listPrincipals(this.directory, this.settings, tenantId, 'user', '/v1/users', query);
  }

  @Get(':id')
  @RequirePermission('identity:read')
  get(@Tenant() tenantId: string, @Param('id') id: string): PrincipalView {
    return getPrincipal(this.directory, tenantId, 'user', userIdParam(id), AccountErrors.userNotFound);
  }

  /** Replaces the user's roles and attributes: a permission change, audited, effective within seconds. */
  @Put(':id/membership')
  @RequirePermission('identity:admin')
  async setMembership(
    @Tenant() tenantId: string,
    @Param('id') id: string,
    @Body() body: unknown,
    @Res({ passthrough: true }) reply: FastifyReply,
  ): Promise<unknown> {
    const userId = userIdParam(id);
    const input = checkRegion(parseOr400(MembershipBody, body));
    const data = { userId, roles: input.roles, attributes: input.attributes };
    const outcome = await identityCommand(
      this.bus,
      SetUserMembershipV1,
      principalKey(tenantId, userId),
      data,
      tenantId,
      randomUUID(),
    );
    const response = adminResponse(outcome, { id: userId }, null);
    void reply.status(response.status);
    return response.body;
  }

  /** Disables the user: no more logins, and its tokens are refused from the next snapshot on. */
  @Delete(':id')
  @HttpCode(204)
  @RequirePermission('identity:admin')
  async disable(@Tenant() tenantId: string, @Param('id') id: string): Promise<void> {
    const userId = userIdParam(id);
    const outcome = await identityCommand(
      this.bus,
      DisableUserV1,
      principalKey(tenantId, userId),
      { userId },
      tenantId,
      randomUUID(),
    );
    adminResponse(outcome, {}, null);
  }
}
