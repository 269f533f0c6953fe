import { randomUUID } from 'node:crypto';
import { Body, Controller, HttpCode, Post } from '@nestjs/common';
import { z } from 'zod';
import { RotateSigningKeyV1 } from '@meridian/contracts/identity';
import { ServiceBus } from '@meridian/gateway/data-access';
import { Actor, RequirePermission } from '@meridian/gateway/util-auth';
import type { Principal } from '@meridian/contracts/identity';
import { parseOr400 } from '@meridian/gateway/util-http';
import { adminResponse, identityCommand } from '../admin-commands';

export const RotateKeysBody = z.strictObject({ reason: z.string().trim().min(1).max(200) });

/**
 * Rotates the access-token signing key now (a suspected leak, a drill): identity publishes the next
 * key, signs with it after the activation delay, and keeps the old one verifying until its tokens expire.
 */
@Controller('v1/admin/signing-keys')
export class RotateKeysController {
  constructor(private readonly bus: ServiceBus) {}

  @Post('rotate')
  @HttpCode(202)
  @RequirePermission('tenants:admin')
  async rotate(@Actor() actor: Principal, @Body() body: unknown): Promise<unknown> {
    const { reason } = parseOr400(RotateKeysBody, body);
    const outcome = await identityCommand(
      this.bus,
      RotateSigningKeyV1,
      'signing-keys',
      { reason },
      actor.tenantId,
      randomUUID(),
    );
    return adminResponse(outcome, { reason }, null).body;
  }
}
