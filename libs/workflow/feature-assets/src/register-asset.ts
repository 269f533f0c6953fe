import { commandReply, type Envelope, parseData, RegisterAssetV1, requireTenant } from '@meridian/contracts';
import { type EventStore, handle } from '@meridian/shared/decider';
import type { ReplyBody } from '@meridian/shared/messaging';
import { assetDecider, assetStreamId } from '@meridian/workflow/domain';


/** meridian.workflow.asset.register.v1 → Asset decider → event store → reply with the stream version. */
export async function registerAsset(store: EventStore, request: Envelope, now: Date): Promise<ReplyBody> {
  const data = parseData(RegisterAssetV1, request);
  const tenantId = requireTenant(request);
  const streamId = assetStreamId(data.assetId);
  const result = await handle(
    store,
    assetDecider,
    streamId,
    { type: 'RegisterAsset', data: { ...data, tenantId, now: now.toISOString() } },
    {
      commandId: request.id,
      metadata: { tenantId, correlationId: request.correlationId, causationId: request.id, ...(request.traceparent ? { traceparent: request.traceparent } : {}) },
    },
  );
  return commandReply(
    result.ok ? { outcome: 'accepted', streamId, version: result.version } : { outcome: 'rejected', code: result.code, detail: result.detail },
  );
}
