import { toWire, type DataOf, type WireMessage } from '@meridian/contracts/core';
import { type PrincipalAttributes, principalKey, PrincipalSnapshotV1, type Role } from '@meridian/contracts/identity';
import type { Queryable } from '@meridian/shared/event-store';
import { stableUuid } from '@meridian/shared/util';
import type { PrincipalRef } from './account-rows';

interface PrincipalRow {
  kind: 'user' | 'service-account';
  tenant_id: string;
  subject: string;
  name: string;
  roles: string[];
  attributes: PrincipalAttributes;
  platform_admin: boolean;
  active: boolean;
  version: number;
  changed_at: Date;
}

/** The current rows of these principals, in one statement. */
export async function readPrincipals(db: Queryable, refs: readonly PrincipalRef[]): Promise<PrincipalRow[]> {
  const users = refs.filter((r) => r.kind === 'user');
  const accounts = refs.filter((r) => r.kind === 'service-account');
  const { rows } = await db.query<PrincipalRow>(
    `SELECT 'user' AS kind, u.tenant_id, u.user_id::text AS subject, u.display_name AS name, u.roles, u.attributes,
            false AS platform_admin, u.active, u.version, u.changed_at
     FROM identity.users u
     JOIN unnest($1::text[], $2::uuid[]) AS r(tenant_id, user_id) USING (tenant_id, user_id)
     UNION ALL
     SELECT 'service-account', s.tenant_id, s.client_id, s.name, s.roles, s.attributes, s.platform_admin, s.active,
            s.version, s.changed_at
     FROM identity.service_accounts s
     WHERE s.client_id = ANY($3::text[])`,
    [users.map((u) => u.tenantId), users.map((u) => u.subject), accounts.map((a) => a.subject)],
  );
  return rows;
}

/**
 * A row as the principal snapshot the gateway enforces. The CloudEvent id derives from the key and
 * version, so a snapshot published twice (after a crash) is the same message twice.
 */
export function snapshotMessage(row: PrincipalRow): WireMessage {
  const key = principalKey(row.tenant_id, row.subject);
  const a = row.attributes;
  const data: DataOf<typeof PrincipalSnapshotV1> = {
    principal: {
      tenantId: row.tenant_id,
      subject: row.subject,
      kind: row.kind,
      roles: row.roles as Role[],
      platformAdmin: row.platform_admin,
      region: a.region ?? null,
      clearance: a.clearance ?? 0,
      teams: a.teams ?? null,
      hours: a.hours ?? null,
    },
    name: row.name,
    active: row.active,
    version: row.version,
    changedAt: row.changed_at.toISOString(),
  };
  const id = stableUuid(`principal-snapshot:${key}:${row.version}`);
  return toWire(
    {
      id,
      type: PrincipalSnapshotV1.type,
      source: '/meridian/identity',
      time: data.changedAt,
      dataschema: PrincipalSnapshotV1.dataschema,
      subject: row.subject,
      data,
      correlationId: id,
      tenantId: row.tenant_id,
    },
    key,
  );
}
