/** Tenant roles; a principal holds any subset of them within its tenant. */
export type Role = 'viewer' | 'operator' | 'dispatcher' | 'approver' | 'admin';

export const ROLES: readonly Role[] = ['viewer', 'operator', 'dispatcher', 'approver', 'admin'];

/** What a tenant role can grant. */
export type TenantPermission =
  | 'assets:read'
  | 'assets:write'
  | 'positions:read'
  | 'telemetry:ingest'
  | 'zones:read'
  | 'zones:write'
  | 'missions:read'
  | 'missions:write'
  | 'missions:approve'
  | 'missions:dispatch'
  | 'identity:read'
  | 'identity:admin'
  | 'audit:read'
  | 'webhooks:admin';

/** Managing tenants themselves: granted only by `platformAdmin`, never by a tenant role. */
export const PLATFORM_PERMISSION = 'tenants:admin';
export type PlatformPermission = typeof PLATFORM_PERMISSION;

export type Permission = TenantPermission | PlatformPermission;

/** Every tenant permission, in the order of docs/permissions.md. */
export const TENANT_PERMISSIONS: readonly TenantPermission[] = [
  'assets:read',
  'assets:write',
  'positions:read',
  'telemetry:ingest',
  'zones:read',
  'zones:write',
  'missions:read',
  'missions:write',
  'missions:approve',
  'missions:dispatch',
  'identity:read',
  'identity:admin',
  'audit:read',
  'webhooks:admin',
];

export const PERMISSIONS: readonly Permission[] = [...TENANT_PERMISSIONS, PLATFORM_PERMISSION];

const VIEWER: readonly TenantPermission[] = ['assets:read', 'positions:read', 'zones:read', 'missions:read'];

/**
 * Role → permissions (docs/permissions.md has the same table with examples):
 *
 * | role       | permissions                                                                  |
 * |------------|------------------------------------------------------------------------------|
 * | viewer     | assets:read, positions:read, zones:read, missions:read                       |
 * | operator   | viewer + assets:write, telemetry:ingest, zones:write                         |
 * | dispatcher | viewer + missions:write, missions:dispatch                                   |
 * | approver   | viewer + missions:approve                                                    |
 * | admin      | every tenant permission, including identity:read, identity:admin, audit:read, webhooks:admin |
 *
 * Identity and audit reads are admin-only: who may do what, and who did what, are themselves
 * sensitive. Webhooks send the tenant's events out of Meridian: admin-only too. No role grants `tenants:admin`.
 */
export const ROLE_PERMISSIONS: Readonly<Record<Role, readonly TenantPermission[]>> = Object.freeze({
  viewer: VIEWER,
  operator: [...VIEWER, 'assets:write', 'telemetry:ingest', 'zones:write'],
  dispatcher: [...VIEWER, 'missions:write', 'missions:dispatch'],
  approver: [...VIEWER, 'missions:approve'],
  admin: TENANT_PERMISSIONS,
});

/**
 * Whether `role` is one of the roles above. Roles arrive from tokens and snapshots at run time, so
 * an unknown string (or a prototype key such as `constructor`) must grant nothing rather than throw.
 */
export const isRole = (role: string): role is Role => Object.hasOwn(ROLE_PERMISSIONS, role);

/** The tenant permissions the roles grant together, in TENANT_PERMISSIONS order, without repeats. */
export function permissionsOf(roles: readonly string[]): readonly TenantPermission[] {
  const granted = new Set(roles.filter(isRole).flatMap((role) => ROLE_PERMISSIONS[role]));
  return TENANT_PERMISSIONS.filter((permission) => granted.has(permission));
}
