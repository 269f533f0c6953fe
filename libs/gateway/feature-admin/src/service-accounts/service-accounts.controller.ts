import { randomBytes, randomUUID } from 'node:crypto';
import { Body, Controller, Delete, Get, HttpCode, Inject, Param, Post, Put, Query, Res } from '@nestjs/common';
import type { FastifyReply } from 'fastify';
import { z } from 'zod';
import { DisplayName } from '@meridian/contracts/core';
import {
  AccountErrors,
  ClientId,
  CreateServiceAccountV1,
  DisableServiceAccountV1,
  SetServiceAccountMembershipV1,
} from '@meridian/contracts/identity';
import { GATEWAY_SETTINGS, type GatewaySettings, PrincipalDirectory, ServiceBus } from '@meridian/gateway/data-access';
import { RequirePermission } from '@meridian/gateway/util-auth';
import { parseOr400, Tenant } from '@meridian/gateway/util-http';
import { sealSecret } from '@meridian/shared/util';
import { adminResponse, checkRegion, clientIdParam, identityCommand, MembershipBody } from '../admin-commands';
import { getPrincipal, listPrincipals, type PrincipalList, type PrincipalView } from '../principal-reads';

export const CreateServiceAccountBody = MembershipBody.extend({ clientId: ClientId, name: DisplayName });

/**
 * Machine clients of the tenant (OAuth client credentials). The gateway makes the secret, seals it
 * into the command and shows it once, in the 201 answer: it is stored only sealed.
 */
@Controller('v1/service-accounts')
export class ServiceAccountsController {
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
    const input = checkRegion(parseOr400(CreateServiceAccountBody, body)) as z.infer<typeof CreateServiceAccountBody>;
    const clientSecret = randomBytes(32).toString('base64url');
    const outcome = await identityCommand(
      this.bus,
      CreateServiceAccountV1,
      input.clientId,
      {
        clientId: input.clientId,
        name: input.name,
        secret: sealSecret(this.settings.secretsKey, clientSecret),
        roles: input.roles,
        attributes: input.attributes,
      },
      tenantId,
      randomUUID(),
    );
    const tokenEndpoint = `${this.settings.auth.issuer}/token`;
    const response = adminResponse(
      outcome,
      { clientId: input.clientId, clientSecret, tokenEndpoint },
      { location: `/v1/service-accounts/${input.clientId}` },
    );
    void reply.status(response.status).header('cache-control', 'no-store');
    if (response.location) void reply.header('location', response.location);
    return response.body;
  }

  @Get()
  @RequirePermission('identity:read')
  list(@Tenant() tenantId: string, @Query() query: Record<string, unknown>): Promise<PrincipalList> {
    return listPrincipals(this.directory, this.settings, tenantId, 'service-account', '/v1/service-accounts', query);
  }

  @Get(':clientId')
  @RequirePermission('identity:read')
  get(@Tenant() tenantId: string, @Param('clientId') clientId: string): PrincipalView {
    const id = clientIdParam(clientId);
    return getPrincipal(this.directory, tenantId, 'service-account', id, AccountErrors.serviceAccountNotFound);
  }

  @Put(':clientId/membership')
  @RequirePermission('identity:admin')
  async setMembership(
    @Tenant() tenantId: string,
    @Param('clientId') clientId: string,
    @Body() body: unknown,
    @Res({ passthrough: true }) reply: FastifyReply,
  ): Promise<unknown> {
    const id = clientIdParam(clientId);
    const input = checkRegion(parseOr400(MembershipBody, body));
    const data = { clientId: id, roles: input.roles, attributes: input.attributes };
    const outcome = await identityCommand(this.bus, SetServiceAccountMembershipV1, id, data, tenantId, randomUUID());
    const response = adminResponse(outcome, { clientId: id }, null);
    void reply.status(response.status);
    return response.body;
  }

  @Delete(':clientId')
  @HttpCode(204)
  @RequirePermission('identity:admin')
  async disable(@Tenant() tenantId: string, @Param('clientId') clientId: string): Promise<void> {
    const id = clientIdParam(clientId);
    const outcome = await identityCommand(
      this.bus,
      DisableServiceAccountV1,
      id,
      { clientId: id },
      tenantId,
      randomUUID(),
    );
    adminResponse(outcome, {}, null);
  }
}
