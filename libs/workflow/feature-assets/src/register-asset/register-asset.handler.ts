import { Controller, Inject } from '@nestjs/common';
import { RegisterAssetV1 } from '@meridian/contracts/assets';
import { commandReply, type DataOf, type Envelope, Topics } from '@meridian/contracts/core';
import { requireTenant } from '@meridian/contracts/identity';
import { type EventStore, handle } from '@meridian/shared/decider';
import { CommandHandler, markCommandStage, type ReplyBody } from '@meridian/shared/messaging';
import { EVENT_STORE } from '@meridian/shared/service-kit';
import { assetDecider, assetStreamId } from '@meridian/workflow/domain';

type RegisterAssetRequest = Envelope<DataOf<typeof RegisterAssetV1>>;

/** meridian.workflow.asset.register.v1 → Asset decider → event store → reply with the stream version. */
export async function registerAsset(store: EventStore, request: RegisterAssetRequest, now: Date): Promise<ReplyBody> {
  const tenantId = requireTenant(request);
  const streamId = assetStreamId(request.data.assetId);
  const result = await handle(
    store,
    assetDecider,
    streamId,
    { type: 'RegisterAsset', data: { ...request.data, tenantId, now: now.toISOString() } },
    {
      commandId: request.id,
      onStage: markCommandStage,
      metadata: {
        tenantId,
        correlationId: request.correlationId,
        causationId: request.id,
        ...(request.traceparent ? { traceparent: request.traceparent } : {}),
      },
    },
  );
  return commandReply(
    result.ok
      ? { outcome: 'accepted', streamId, version: result.version }
      : { outcome: 'rejected', code: result.code, detail: result.detail },
  );
}

@Controller()
export class RegisterAssetHandler {
  constructor(@Inject(EVENT_STORE) private readonly store: EventStore) {}

  @CommandHandler(RegisterAssetV1, Topics.workflowCommands)
  register(request: RegisterAssetRequest): Promise<ReplyBody> {
    return registerAsset(this.store, request, new Date());
  }
}
