import { CodedError } from '@meridian/contracts/core';
import { IdentityErrors } from '@meridian/contracts/identity';
import { SYSTEM_ACTOR, tenantDecider, TenantRejections, tenantStreamId } from '@meridian/identity/domain';
import { type EventStore, handle, load } from '@meridian/shared/decider';
import { stableUuid } from '@meridian/shared/util';

/** The command id with which identity registers a tenant itself: the same at every start, on every replica. */
export const bootstrapTenantCommandId = (tenantId: string): string => stableUuid(`bootstrap-tenant:${tenantId}`);

/** TENANT.UNKNOWN unless the tenant is registered: accounts are created in existing tenants only. */
export async function requireActiveTenant(store: EventStore, tenantId: string): Promise<void> {
  const { state } = await load(store, tenantDecider, tenantStreamId(tenantId));
  if (state.status !== 'active')
    throw new CodedError(IdentityErrors.tenantUnknown, `tenant ${tenantId} does not exist`);
}

/**
 * Registers a tenant unless it exists, idempotently (the bootstrap's command id): true when it
 * exists afterwards. Tenant and account bootstraps both call it, so they need no order between them.
 */
export async function ensureTenant(store: EventStore, tenantId: string, now: Date): Promise<boolean> {
  const result = await handle(
    store,
    tenantDecider,
    tenantStreamId(tenantId),
    { type: 'RegisterTenant', data: { tenantId, name: tenantId, now: now.toISOString() } },
    { commandId: bootstrapTenantCommandId(tenantId), metadata: { tenantId, actor: SYSTEM_ACTOR } },
  );
  return result.ok || result.code === TenantRejections.alreadyRegistered;
}
