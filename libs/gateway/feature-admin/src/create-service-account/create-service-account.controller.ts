import { Body, Controller, Headers, Inject, Post, Res } from '@nestjs/common';
import type { FastifyReply } from 'fastify';
import { z } from 'zod';
import { DisplayName } from '@meridian/contracts/core';
import { ClientId, CreateServiceAccountV1 } from '@meridian/contracts/identity';
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

import { checkedMembership, MembershipBody } from '../membership';
import { clientSecret } from '../secrets';

/**
 * Client ids are global (client credentials name no tenant). Identity's own names are reserved, so
 * no tenant can take a bootstrap administrator's id (`<tenant>-admin`) before that tenant exists, or
 * record its writes under the actor `system`.
 */
export const isReservedClientId = (id: string): boolean =>
  id === 'system' || id.startsWith('platform') || id.endsWith('-admin');

export const CreateServiceAccountBody = MembershipBody.extend({
  clientId: ClientId.refine((id) => !isReservedClientId(id), 'reserved: system, platform…, …-admin'),
  name: DisplayName,
});
type CreateServiceAccountBody = z.infer<typeof CreateServiceAccountBody>;

/** Where the account gets its tokens (client credentials): the token endpoint of identity's provider. */
const tokenEndpointOf = (issuer: string): string => `${issuer.replace(/\/$/, '')}/token`;

/**
 * A machine client of the tenant (OAuth client credentials). The gateway makes its secret, seals it
 * into the command and shows it once, in this answer (`Cache-Control: no-store`): identity keeps it
 * only sealed, and nothing shows it again.
 */
@Controller('v1/service-accounts')
export class CreateServiceAccountController {
  constructor(
    private readonly commands: IdentityCommands,
    private readonly idempotency: Idempotency,
    @Inject(GATEWAY_SETTINGS) private readonly settings: GatewaySettings,
  ) {}

  /** 201 `{clientId, clientSecret, tokenEndpoint, version}` with `Location`. */
  @Post()
  @RequirePermission('identity:admin')
  async create(
    @Tenant() tenantId: string,
    @Body() body: unknown,
    @Headers('idempotency-key') key: string | undefined,
    @Res({ passthrough: true }) reply: FastifyReply,
  ): Promise<unknown> {
    const input = checkedMembership(parseOr400(CreateServiceAccountBody, body));
    const { clientId } = input;
    const secret = clientSecret(
      this.settings.secretsKey,
      key === undefined ? undefined : { tenantId, idempotencyKey: key, clientId },
    );
    // Redis keeps the answer of an Idempotency-Key without the secret; it is put back on every answer.
    const response = await once(this.idempotency, tenantId, key, input, (ids) =>
      this.send(tenantId, input, secret, ids),
    );
    void reply.header('cache-control', 'no-store');
    const shown = {
      ...(response.body as object),
      clientSecret: secret,
      tokenEndpoint: tokenEndpointOf(this.settings.auth.issuer),
    };
    return answer(reply, { ...response, body: shown });
  }

  private async send(
    tenantId: string,
    input: CreateServiceAccountBody,
    secret: string,
    ids: IdsOf,
  ): Promise<StoredResponse> {
    const { clientId, name, roles, attributes } = input;
    const data = { clientId, name, secret: sealSecret(this.settings.secretsKey, secret), roles, attributes };
    const outcome = await this.commands.send(
      CreateServiceAccountV1,
      clientId,
      data,
      tenantId,
      ids(`service-account-command:${clientId}`),
    );
    return commandResponse(outcome, { clientId }, `/v1/service-accounts/${clientId}`);
  }
}
