import { Body, Controller, Post, Res } from '@nestjs/common';
import type { FastifyReply } from 'fastify';
import { v7 as uuidv7 } from 'uuid';
import { type Principal, RotateSigningKeyV1 } from '@meridian/contracts/identity';
import { Actor, RequirePermission } from '@meridian/gateway/util-auth';
import { parseOr400 } from '@meridian/gateway/util-http';
import { answer, commandResponse, IdentityCommands } from '../admin-commands';

export const RotateSigningKeyBody = RotateSigningKeyV1.schema;

/** Every rotation goes through one key: identity's key ring serialises them anyway. */
const KEY_RING = 'signing-keys';

@Controller('v1/admin/signing-keys')
export class RotateSigningKeyController {
  constructor(private readonly commands: IdentityCommands) {}

  /**
   * 202 `{id, version}` (`id` names the key that will sign) once identity published the next key: it
   * signs after the activation delay, and the current one keeps verifying until its tokens expire.
   */
  @Post('rotate')
  @RequirePermission('tenants:admin')
  async rotate(
    @Actor() actor: Principal,
    @Body() body: unknown,
    @Res({ passthrough: true }) reply: FastifyReply,
  ): Promise<unknown> {
    const { reason } = parseOr400(RotateSigningKeyBody, body);
    const outcome = await this.commands.send(RotateSigningKeyV1, KEY_RING, { reason }, actor.tenantId, uuidv7());
    if (outcome.outcome !== 'accepted') return answer(reply, commandResponse(outcome, {}));
    return answer(reply, { status: 202, body: { id: outcome.streamId, version: outcome.version } });
  }
}
