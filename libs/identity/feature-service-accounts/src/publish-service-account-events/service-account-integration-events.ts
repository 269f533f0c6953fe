import {
  principalKey,
  ServiceAccountCreatedV1,
  ServiceAccountDisabledV1,
  ServiceAccountMembershipChangedV1,
} from '@meridian/contracts/identity';
import type { ServiceAccountEvent } from '@meridian/identity/domain';
import type { RecordedEvent } from '@meridian/shared/decider';
import type { IntegrationMessage } from '@meridian/shared/messaging';

/**
 * Service-account domain events as the public contract (`meridian.identity.service-account.*.v1`),
 * keyed by principal (`<tenant>/<clientId>`). Fields are picked one by one: the sealed secret
 * never leaves the event store.
 */
export function serviceAccountIntegrationEvent(event: RecordedEvent): IntegrationMessage | null {
  const domain = { type: event.type, data: event.data } as ServiceAccountEvent;
  const version = event.streamVersion;
  switch (domain.type) {
    case 'service-account.created.v1': {
      const d = domain.data;
      return {
        key: principalKey(d.tenantId, d.clientId),
        type: ServiceAccountCreatedV1.type,
        dataschema: ServiceAccountCreatedV1.dataschema,
        subject: d.clientId,
        data: {
          tenantId: d.tenantId,
          clientId: d.clientId,
          name: d.name,
          roles: d.roles,
          attributes: d.attributes,
          platformAdmin: d.platformAdmin,
          actor: d.actor,
          version,
          createdAt: d.createdAt,
        },
      };
    }
    case 'service-account.membership-changed.v1': {
      const d = domain.data;
      return {
        key: principalKey(d.tenantId, d.clientId),
        type: ServiceAccountMembershipChangedV1.type,
        dataschema: ServiceAccountMembershipChangedV1.dataschema,
        subject: d.clientId,
        data: {
          tenantId: d.tenantId,
          clientId: d.clientId,
          roles: d.roles,
          attributes: d.attributes,
          actor: d.actor,
          version,
          changedAt: d.changedAt,
        },
      };
    }
    case 'service-account.disabled.v1': {
      const d = domain.data;
      return {
        key: principalKey(d.tenantId, d.clientId),
        type: ServiceAccountDisabledV1.type,
        dataschema: ServiceAccountDisabledV1.dataschema,
        subject: d.clientId,
        data: { tenantId: d.tenantId, clientId: d.clientId, actor: d.actor, version, disabledAt: d.disabledAt },
      };
    }
    default:
      return null;
  }
}
