import { Body, Controller, Headers, Inject, Post, Res } from '@nestjs/common';
import type { FastifyReply } from 'fastify';
import { z } from 'zod';
import { DisplayName } from '@meridian/contracts/core';
import {
  CreateUserV1,
  Email,
  type Principal,
  principalKey,
  RegisterTenantV1,
  TenantId,
  Username,
} from '@meridian/contracts/identity';
import {
  GATEWAY_SETTINGS,
  type GatewaySettings,
  Idempotency,
  type StoredResponse,
} from '@meridian/gateway/data-access';
import { Actor, RequirePermission } from '@meridian/gateway/util-auth';
import { parseOr400, problemFromCode } from '@meridian/gateway/util-http';
import { sealSecret } from '@meridian/shared/util';
import { answer, commandResponse, IdentityCommands, type IdsOf, once } from '../admin-commands';
import { Password } from '../membership';
import { secretFingerprint } from '../secrets';

export const CreateTenantBody = z.strictObject({
  tenantId: TenantId,
  name: DisplayName,
  admin: z.strictObject({
    username: Username,
    displayName: DisplayName,
    email: Email.optional(),
    password: Password,
  }),
});
type CreateTenantBody = z.infer<typeof CreateTenantBody>;

/** The first administrator sees and may do everything in its tenant: role admin, full clearance, no limits. */
const FIRST_ADMINISTRATOR = {
  roles: ['admin' as const],
  attributes: { region: null, clearance: 4, teams: null, hours: null },
};

/**
 * A tenant and its first administrator, created by the platform administrator: how any client sets
 * up an organisation. Two commands to identity, in order: RegisterTenant, then CreateUser in the new
 * tenant (its tenant-id header is the new tenant's), the password sealed with SECRETS_KEY.
 */
@Controller('v1/tenants')
export class CreateTenantController {
  constructor(
    private readonly commands: IdentityCommands,
    private readonly idempotency: Idempotency,
    @Inject(GATEWAY_SETTINGS) private readonly settings: GatewaySettings,
  ) {}

  /** 201 `{tenantId, adminUserId, version}`; with `Idempotency-Key`, a retry finishes what a first attempt began. */
  @Post()
  @RequirePermission('tenants:admin')
  async create(
    @Actor() actor: Principal,
    @Body() body: unknown,
    @Headers('idempotency-key') key: string | undefined,
    @Res({ passthrough: true }) reply: FastifyReply,
  ): Promise<unknown> {
    const input = parseOr400(CreateTenantBody, body);
    const password = secretFingerprint(this.settings.secretsKey, input.admin.password);
    const bound = { ...input, admin: { ...input.admin, password } };
    return answer(reply, await once(this.idempotency, actor.tenantId, key, bound, (ids) => this.send(input, ids)));
  }

  private async send(input: CreateTenantBody, ids: IdsOf): Promise<StoredResponse> {
    const { tenantId, admin } = input;
    const tenant = { tenantId, name: input.name };
    const registered = await this.commands.send(
      RegisterTenantV1,
      tenantId,
      tenant,
      tenantId,
      ids(`tenant-command:${tenantId}`),
    );
    // Refused (TENANT.ALREADY_REGISTERED): thrown here; pending: 202, the administrator is not asked for yet.
    if (registered.outcome !== 'accepted') return commandResponse(registered, { tenantId });
    const adminUserId = ids(`tenant-admin:${tenantId}`);
    const user = {
      userId: adminUserId,
      username: admin.username,
      displayName: admin.displayName,
      ...(admin.email ? { email: admin.email } : {}),
      password: sealSecret(this.settings.secretsKey, admin.password),
      ...FIRST_ADMINISTRATOR,
    };
    const key = principalKey(tenantId, adminUserId);
    const created = await this.commands.send(
      CreateUserV1,
      key,
      user,
      tenantId,
      ids(`tenant-admin-command:${tenantId}`),
    );
    if (created.outcome === 'rejected') {
      throw problemFromCode(
        created.code,
        `tenant ${tenantId} was registered but its administrator was not created (retry with the same ` +
          `Idempotency-Key to finish): ${created.detail}`,
      );
    }
    return commandResponse(created, { tenantId, adminUserId }, `/v1/users/${adminUserId}`);
  }
}
