import { FederationConfiguredV1 } from '@meridian/contracts/identity';
import type { FederationEvent } from '@meridian/identity/domain';
import type { RecordedEvent } from '@meridian/shared/decider';
import type { IntegrationMessage } from '@meridian/shared/messaging';

/**
 * Federation domain events as the public contract (`meridian.identity.federation.configured.v1`),
 * keyed by tenant. Fields are picked one by one: the sealed client secret never leaves the event
 * store. Other stored events map to null (identity's mapper tries each feature's in turn).
 */
export function federationIntegrationEvent(event: RecordedEvent): IntegrationMessage | null {
  const domain = { type: event.type, data: event.data } as FederationEvent;
  switch (domain.type) {
    case 'federation.configured.v1': {
      const d = domain.data;
      return {
        key: d.tenantId,
        type: FederationConfiguredV1.type,
        dataschema: FederationConfiguredV1.dataschema,
        subject: d.tenantId,
        data: {
          tenantId: d.tenantId,
          issuer: d.issuer,
          clientId: d.clientId,
          groupRoles: d.groupRoles,
          defaultRoles: d.defaultRoles,
          attributes: d.attributes,
          actor: d.actor,
          version: event.streamVersion,
          configuredAt: d.configuredAt,
        },
      };
    }
    default:
      return null;
  }
}
