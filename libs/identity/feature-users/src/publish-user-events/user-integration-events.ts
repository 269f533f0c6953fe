import { principalKey, UserCreatedV1, UserDisabledV1, UserMembershipChangedV1 } from '@meridian/contracts/identity';
import type { UserEvent } from '@meridian/identity/domain';
import type { RecordedEvent } from '@meridian/shared/decider';
import type { IntegrationMessage } from '@meridian/shared/messaging';

/**
 * User domain events as the public contract (`meridian.identity.user.*.v1`), keyed by principal
 * (`<tenant>/<userId>`). Fields are picked one by one: the sealed password hash never leaves
 * the event store. Username claims and other stored events map to null.
 */
export function userIntegrationEvent(event: RecordedEvent): IntegrationMessage | null {
  const domain = { type: event.type, data: event.data } as UserEvent;
  const version = event.streamVersion;
  switch (domain.type) {
    case 'user.created.v1': {
      const d = domain.data;
      return {
        key: principalKey(d.tenantId, d.userId),
        type: UserCreatedV1.type,
        dataschema: UserCreatedV1.dataschema,
        subject: d.userId,
        data: {
          tenantId: d.tenantId,
          userId: d.userId,
          username: d.username,
          displayName: d.displayName,
          email: d.email,
          federation: d.federation ? { issuer: d.federation.issuer, subject: d.federation.subject } : null,
          roles: d.roles,
          attributes: d.attributes,
          actor: d.actor,
          version,
          createdAt: d.createdAt,
        },
      };
    }
    case 'user.membership-changed.v1': {
      const d = domain.data;
      return {
        key: principalKey(d.tenantId, d.userId),
        type: UserMembershipChangedV1.type,
        dataschema: UserMembershipChangedV1.dataschema,
        subject: d.userId,
        data: {
          tenantId: d.tenantId,
          userId: d.userId,
          roles: d.roles,
          attributes: d.attributes,
          actor: d.actor,
          version,
          changedAt: d.changedAt,
        },
      };
    }
    case 'user.disabled.v1': {
      const d = domain.data;
      return {
        key: principalKey(d.tenantId, d.userId),
        type: UserDisabledV1.type,
        dataschema: UserDisabledV1.dataschema,
        subject: d.userId,
        data: { tenantId: d.tenantId, userId: d.userId, actor: d.actor, version, disabledAt: d.disabledAt },
      };
    }
    default:
      return null;
  }
}
