import { randomUUID } from 'node:crypto';
import { Body, Controller, Headers, Post, Req, Res } from '@nestjs/common';
import type { FastifyReply, FastifyRequest } from 'fastify';
import { v7 as uuidv7 } from 'uuid';
import { z } from 'zod';
import { AssetKind, AssetName, AssetSensitivity, AssetTeam, RegisterAssetV2 } from '@meridian/contracts/assets';
import {
  AssetDirectory,
  CommandTimings,
  Idempotency,
  ServiceBus,
  type StoredResponse,
} from '@meridian/gateway/data-access';
import { type Timing, TimingMarks } from '@meridian/shared/messaging';
import { parseOr400, problemFromCode, Tenant } from '@meridian/gateway/util-http';
import { stableUuid } from '@meridian/shared/util';
import { RequirePermission } from '@meridian/gateway/util-auth';

/** Left out, the access attributes are sensitivity 0 and no team. */
export const RegisterAssetBody = z.strictObject({
  name: AssetName,
  kind: AssetKind,
  sensitivity: AssetSensitivity.default(0),
  team: AssetTeam.default(null),
});
type RegisterAssetBody = z.infer<typeof RegisterAssetBody>;

@Controller('v1/assets')
export class RegisterAssetController {
  constructor(
    private readonly bus: ServiceBus,
    private readonly directory: AssetDirectory,
    private readonly idempotency: Idempotency,
    private readonly timings: CommandTimings,
  ) {}

  /** 201 when workflow accepted, 202 when it did not answer in time (the command may still apply). */
  @Post()
  @RequirePermission('assets:write')
  async register(
    @Tenant() tenantId: string,
    @Body() body: unknown,
    @Headers('idempotency-key') key: string | undefined,
    @Req() request: FastifyRequest,
    @Res({ passthrough: true }) reply: FastifyReply,
  ): Promise<unknown> {
    const timing = this.timings.begin(request, reply);
    const input = parseOr400(RegisterAssetBody, body);
    const response = key
      ? await this.idempotency.run(tenantId, key, input, () =>
          this.send(
            tenantId,
            input,
            stableUuid(`asset:${tenantId}:${key}`),
            stableUuid(`command:${tenantId}:${key}`),
            timing,
          ),
        )
      : await this.send(tenantId, input, uuidv7(), randomUUID(), timing);
    timing.mark(TimingMarks.handlerDone);
    void reply.status(response.status);
    if (response.location) void reply.header('location', response.location);
    return response.body;
  }

  private async send(
    tenantId: string,
    input: RegisterAssetBody,
    assetId: string,
    commandId: string,
    timing: Timing,
  ): Promise<StoredResponse> {
    const outcome = await this.bus.command(RegisterAssetV2, assetId, { assetId, ...input }, tenantId, commandId, {
      timing,
    });
    switch (outcome.outcome) {
      case 'accepted':
        await this.directory.remember(tenantId, assetId);
        return { status: 201, body: { id: assetId, version: outcome.version }, location: `/v1/assets/${assetId}` };
      case 'pending':
        return { status: 202, body: { id: assetId, status: 'pending', correlationId: outcome.correlationId } };
      case 'rejected':
        throw problemFromCode(outcome.code, outcome.detail);
    }
  }
}
