import { Body, Controller, Inject, Post, Res } from '@nestjs/common';
import type { FastifyReply } from 'fastify';
import { v7 as uuidv7 } from 'uuid';
import { randomUUID } from 'node:crypto';
import { z } from 'zod';
import { DisplayName } from '@meridian/contracts/core';
import { CreateUserV1, Email, principalKey, RegisterTenantV1, TenantId, Username } from '@meridian/contracts/identity';
import { GATEWAY_SETTINGS, type GatewaySettings, ServiceBus } from '@meridian/gateway/data-access';
import { RequirePermission } from '@meridian/gateway/util-auth';
import { parseOr400 } from '@meridian/gateway/util-http';
import { sealSecret } from '@meridian/shared/util';
import { adminResponse, identityCommand } from '../admin-commands';

export const CreateTenantBody = z.strictObject({
  tenantId: TenantId,
  name: DisplayName,
  admin: z.strictObject({
    username: Username,
    displayName: DisplayName,
    email: Email.optional(),
    password: z.string().min(8).max(1024),
  }),
});

/**
 * A tenant and its first administrator (a user with role admin and full clearance), created by the
 * platform administrator: how any client sets up an organisation. The password is sealed before it
 * goes on Kafka.
 */
@Controller('v1/tenants')
export class CreateTenantController {
  constructor(
    private readonly bus: ServiceBus,
    @Inject(GATEWAY_SETTINGS) private readonly settings: GatewaySettings,
  ) {}

  @Post()
  @RequirePermission('tenants:admin')
  async create(@Body() body: unknown, @Res({ passthrough: true }) reply: FastifyReply): Promise<unknown> {
    const input = parseOr400(CreateTenantBody, body);
    const { tenantId } = input;
    const registered = await identityCommand(
      this.bus,
      RegisterTenantV1,
      tenantId,
      { tenantId, name: input.name },
      tenantId,
      randomUUID(),
    );
    adminResponse(registered, {}, null); // a refusal (TENANT.ALREADY_REGISTERED) ends here
    const adminUserId = uuidv7();
    const created = await identityCommand(
      this.bus,
      CreateUserV1,
      principalKey(tenantId, adminUserId),
      {
        userId: adminUserId,
        username: input.admin.username,
        displayName: input.admin.displayName,
        ...(input.admin.email ? { email: input.admin.email } : {}),
        password: sealSecret(this.settings.secretsKey, input.admin.password),
        roles: ['admin'],
        attributes: { region: null, clearance: 4, teams: null, hours: null },
      },
      tenantId,
      randomUUID(),
    );
    const response = adminResponse(created, { tenantId, adminUserId }, { location: `/v1/users/${adminUserId}` });
    void reply.status(response.status);
    if (response.location) void reply.header('location', response.location);
    return response.body;
  }
}
