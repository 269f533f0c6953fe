import { Controller, Inject } from '@nestjs/common';
import { RegisterAssetV1, RegisterAssetV2 } from '@meridian/contracts/assets';
import { commandReply, type DataOf, type Envelope, Topics } from '@meridian/contracts/core';
import { requirePrincipal, requireTenant } from '@meridian/contracts/identity';
import { type EventStore, handle } from '@meridian/shared/decider';
import { CommandHandler, markCommandStage, type ReplyBody } from '@meridian/shared/messaging';
import { EVENT_STORE } from '@meridian/shared/service-kit';
import { assetDecider, assetStreamId } from '@meridian/workflow/domain';
import { assetWriteAccess } from '../asset-access';

type RegisterAssetRequest = Envelope<DataOf<typeof RegisterAssetV2>>;
type RegisterAssetV1Request = Envelope<DataOf<typeof RegisterAssetV1>>;

/**
 * meridian.workflow.asset.register.v2 → the policy's verdict (`assets:write` on the asset to be)
 * → Asset decider → event store → reply with the stream version, or the refusal's code.
 */
export async function registerAsset(store: EventStore, request: RegisterAssetRequest, now: Date): Promise<ReplyBody> {
  const tenantId = requireTenant(request);
  const principal = requirePrincipal(request);
  const { assetId, name, kind, sensitivity, team } = request.data;
  const streamId = assetStreamId(assetId);
  const access = assetWriteAccess(principal, { tenantId, sensitivity, team }, now);
  const result = await handle(
    store,
    assetDecider,
    streamId,
    {
      type: 'RegisterAsset',
      data: { assetId, tenantId, name, kind, sensitivity, team, now: now.toISOString(), access },
    },
    {
      commandId: request.id,
      onStage: markCommandStage,
      metadata: {
        tenantId,
        actor: principal.subject,
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

/** A v1 command is a v2 one without access attributes: a public asset of no team. */
export const registerAssetV1 = (store: EventStore, request: RegisterAssetV1Request, now: Date): Promise<ReplyBody> =>
  registerAsset(store, { ...request, data: { ...request.data, sensitivity: 0, team: null } }, now);

@Controller()
export class RegisterAssetHandler {
  constructor(@Inject(EVENT_STORE) private readonly store: EventStore) {}

  @CommandHandler(RegisterAssetV2, Topics.workflowCommands)
  register(request: RegisterAssetRequest): Promise<ReplyBody> {
    return registerAsset(this.store, request, new Date());
  }

  @CommandHandler(RegisterAssetV1, Topics.workflowCommands)
  registerV1(request: RegisterAssetV1Request): Promise<ReplyBody> {
    return registerAssetV1(this.store, request, new Date());
  }
}
