import type { ServiceAccountEvent, UserEvent } from '@meridian/identity/domain';
import type { RecordedEvent } from '@meridian/shared/decider';
import type { Queryable } from '@meridian/shared/event-store';

/** A principal whose row an event touches. */
export interface PrincipalRef {
  readonly kind: 'user' | 'service-account';
  readonly tenantId: string;
  /** The user id, or the service account's client id. */
  readonly subject: string;
}

type AccountEvent = UserEvent | ServiceAccountEvent;

const accountEventTypes: ReadonlySet<string> = new Set<AccountEvent['type']>([
  'user.created.v1',
  'user.membership-changed.v1',
  'user.disabled.v1',
  'service-account.created.v1',
  'service-account.membership-changed.v1',
  'service-account.disabled.v1',
]);

const asAccountEvent = (e: RecordedEvent): AccountEvent | null =>
  accountEventTypes.has(e.type) ? ({ type: e.type, data: e.data } as AccountEvent) : null;

/** The principal a stored event is about, or null for events that touch no account row. */
export function principalOf(event: RecordedEvent): PrincipalRef | null {
  const e = asAccountEvent(event);
  if (!e) return null;
  return 'userId' in e.data
    ? { kind: 'user', tenantId: e.data.tenantId, subject: e.data.userId }
    : { kind: 'service-account', tenantId: e.data.tenantId, subject: e.data.clientId };
}

/**
 * Applies one stored event to the account tables. Every statement is guarded by the stream
 * version, so applying an event twice (or an older one after a newer) changes nothing.
 */
export async function applyAccountEvent(db: Queryable, event: RecordedEvent): Promise<void> {
  const e = asAccountEvent(event);
  if (!e) return;
  const v = event.streamVersion;
  switch (e.type) {
    case 'user.created.v1': {
      const d = e.data;
      await db.query(
        `INSERT INTO identity.users (tenant_id, user_id, username, display_name, email, password_hash,
           federated_issuer, federated_subject, roles, attributes, active, version, created_at, changed_at)
         VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9::text[], $10::jsonb, true, $11, $12, $12)
         ON CONFLICT (tenant_id, user_id) DO NOTHING`,
        [
          d.tenantId,
          d.userId,
          d.username,
          d.displayName,
          d.email,
          d.passwordHash,
          d.federation?.issuer ?? null,
          d.federation?.subject ?? null,
          d.roles,
          JSON.stringify(d.attributes),
          v,
          d.createdAt,
        ],
      );
      return;
    }
    case 'user.membership-changed.v1': {
      const d = e.data;
      await db.query(
        `UPDATE identity.users SET roles = $3::text[], attributes = $4::jsonb, version = $5, changed_at = $6
         WHERE tenant_id = $1 AND user_id = $2 AND version < $5`,
        [d.tenantId, d.userId, d.roles, JSON.stringify(d.attributes), v, d.changedAt],
      );
      return;
    }
    case 'user.disabled.v1':
      await db.query(
        `UPDATE identity.users SET active = false, version = $3, changed_at = $4
         WHERE tenant_id = $1 AND user_id = $2 AND version < $3`,
        [e.data.tenantId, e.data.userId, v, e.data.disabledAt],
      );
      return;
    case 'service-account.created.v1': {
      const d = e.data;
      await db.query(
        `INSERT INTO identity.service_accounts (client_id, tenant_id, name, secret, roles, attributes, platform_admin,
           active, version, created_at, changed_at)
         VALUES ($1, $2, $3, $4, $5::text[], $6::jsonb, $7, true, $8, $9, $9)
         ON CONFLICT (client_id) DO NOTHING`,
        [
          d.clientId,
          d.tenantId,
          d.name,
          d.secret,
          d.roles,
          JSON.stringify(d.attributes),
          d.platformAdmin,
          v,
          d.createdAt,
        ],
      );
      return;
    }
    case 'service-account.membership-changed.v1': {
      const d = e.data;
      await db.query(
        `UPDATE identity.service_accounts SET roles = $3::text[], attributes = $4::jsonb, version = $5, changed_at = $6
         WHERE client_id = $1 AND tenant_id = $2 AND version < $5`,
        [d.clientId, d.tenantId, d.roles, JSON.stringify(d.attributes), v, d.changedAt],
      );
      return;
    }
    case 'service-account.disabled.v1':
      await db.query(
        `UPDATE identity.service_accounts SET active = false, version = $3, changed_at = $4
         WHERE client_id = $1 AND tenant_id = $2 AND version < $3`,
        [e.data.clientId, e.data.tenantId, v, e.data.disabledAt],
      );
      return;
    default: {
      const unknownEvent: never = e;
      return unknownEvent;
    }
  }
}
