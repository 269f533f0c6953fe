import { Body, Controller, Headers, Inject, Post, Res } from '@nestjs/common';
import type { FastifyReply } from 'fastify';
import type { z } from 'zod';
import { DisplayName } from '@meridian/contracts/core';
import { CreateUserV1, Email, principalKey, Username } from '@meridian/contracts/identity';
import {
  GATEWAY_SETTINGS,
  type GatewaySettings,
  Idempotency,
  type StoredResponse,
} from '@meridian/gateway/data-access';
import { RequirePermission } from '@meridian/gateway/util-auth';
import { parseOr400, Tenant } from '@meridian/gateway/util-http';
import { sealSecret } from '@meridian/shared/util';
import { answer, commandResponse, IdentityCommands, type IdsOf, once } from '../admin-commands';
import { checkedMembership, MembershipBody, Password } from '../membership';
import { secretFingerprint } from '../secrets';

export const CreateUserBody = MembershipBody.extend({
  username: Username,
  displayName: DisplayName,
  email: Email.optional(),
  /** Left out for a user who logs in only through the tenant's federated identity provider. */
  password: Password.optional(),
});
type CreateUserBody = z.infer<typeof CreateUserBody>;

/** A person of the tenant with roles and attributes; the password is sealed before it goes on Kafka. */
@Controller('v1/users')
export class CreateUserController {
  constructor(
    private readonly commands: IdentityCommands,
    private readonly idempotency: Idempotency,
    @Inject(GATEWAY_SETTINGS) private readonly settings: GatewaySettings,
  ) {}

  /** 201 `{id, version}` with `Location`; with `Idempotency-Key`, a retry gets the first answer. */
  @Post()
  @RequirePermission('identity:admin')
  async create(
    @Tenant() tenantId: string,
    @Body() body: unknown,
    @Headers('idempotency-key') key: string | undefined,
    @Res({ passthrough: true }) reply: FastifyReply,
  ): Promise<unknown> {
    const input = checkedMembership(parseOr400(CreateUserBody, body));
    const { secretsKey } = this.settings;
    const bound =
      input.password === undefined ? input : { ...input, password: secretFingerprint(secretsKey, input.password) };
    return answer(reply, await once(this.idempotency, tenantId, key, bound, (ids) => this.send(tenantId, input, ids)));
  }

  private async send(tenantId: string, input: CreateUserBody, ids: IdsOf): Promise<StoredResponse> {
    const { password, email, ...user } = input;
    const userId = ids('user');
    const data = {
      ...user,
      userId,
      ...(email ? { email } : {}),
      ...(password === undefined ? {} : { password: sealSecret(this.settings.secretsKey, password) }),
    };
    const outcome = await this.commands.send(
      CreateUserV1,
      principalKey(tenantId, userId),
      data,
      tenantId,
      ids('user-command'),
    );
    return commandResponse(outcome, { id: userId }, `/v1/users/${userId}`);
  }
}
