import { federationDecider, type FederationSettings, federationStreamId } from '@meridian/identity/domain';
import { type EventStore, load } from '@meridian/shared/decider';

/** A tenant's federation settings as they stand (the client secret sealed), and their stream version. */
export interface TenantFederation {
  readonly tenantId: string;
  readonly version: number;
  readonly settings: FederationSettings;
}

/**
 * Read from the event store on every use (a stream of a few events): a change made on another
 * replica counts at the next login, and a strategy is rebuilt only when the version moved.
 */
export async function loadTenantFederation(store: EventStore, tenantId: string): Promise<TenantFederation | null> {
  const { state, version } = await load(store, federationDecider, federationStreamId(tenantId));
  if (state.status !== 'configured') return null;
  const { status: _status, tenantId: _tenant, ...settings } = state;
  return { tenantId, version, settings };
}
