import { commandReply, type Envelope, parseData } from '@meridian/contracts/core';
import { RegisterTenantV1, TenantRegisteredV1 } from '@meridian/contracts/identity';
import { type EventStore, handle, type HandleResult, type RecordedEvent } from '@meridian/shared/decider';
import type { IntegrationMessage, ReplyBody } from '@meridian/shared/messaging';
import { identityAdminActor } from '@meridian/identity/data-access';
import { PLATFORM_TENANT, type TenantEvent, tenantDecider, tenantStreamId } from '@meridian/identity/domain';

export function registerTenant(
  store: EventStore,
  tenantId: string,
  name: string,
  commandId: string,
  now: Date,
): Promise<HandleResult> {
  return handle(
    store,
    tenantDecider,
    tenantStreamId(tenantId),
    { type: 'RegisterTenant', data: { tenantId, name, now: now.toISOString() } },
    {
      commandId,
      metadata: { tenantId },
    },
  );
}

export async function registerTenantRoute(store: EventStore, request: Envelope, now: Date): Promise<ReplyBody> {
  const { tenantId, name } = parseData(RegisterTenantV1, request);
  // Only the platform administrator registers tenants (identity's own bootstrap sends no principal).
  if (request.principal !== undefined) {
    const { access } = identityAdminActor({ principal: request.principal, tenantId: PLATFORM_TENANT }, now);
    if (!access.allow) return commandReply({ outcome: 'rejected', code: access.code, detail: access.detail });
  }
  const result = await registerTenant(store, tenantId, name, request.id, now);
  const streamId = tenantStreamId(tenantId);
  return commandReply(
    result.ok
      ? { outcome: 'accepted', streamId, version: result.version }
      : { outcome: 'rejected', code: result.code, detail: result.detail },
  );
}

export function tenantIntegrationEvent(event: RecordedEvent): IntegrationMessage | null {
  const domain = { type: event.type, data: event.data } as TenantEvent;
  if (domain.type !== 'tenant.registered.v1') return null;
  return {
    key: domain.data.tenantId,
    type: TenantRegisteredV1.type,
    dataschema: TenantRegisteredV1.dataschema,
    data: domain.data,
  };
}
