import { z } from 'zod';
import { CodedError, defineMessage } from '@meridian/contracts/core';
import { AuthErrors } from './identity.errors';
import { TenantId } from './tenants';

/** Tenant roles (docs/permissions.md maps them to permissions). */
export const Role = z.enum(['viewer', 'operator', 'dispatcher', 'approver', 'admin']);
export type Role = z.infer<typeof Role>;

const Position = z.tuple([z.number().min(-180).max(180), z.number().min(-90).max(90)]);
const Ring = z.array(Position).min(4);

/** A principal's allowed region: a GeoJSON Polygon or MultiPolygon in lon/lat (EPSG:4326). */
export const Region = z.union([
  z.strictObject({ type: z.literal('Polygon'), coordinates: z.array(Ring).min(1) }),
  z.strictObject({ type: z.literal('MultiPolygon'), coordinates: z.array(z.array(Ring).min(1)).min(1) }),
]);
export type Region = z.infer<typeof Region>;

/** Resource sensitivity and principal clearance: 0 (public) to 4 (most restricted). */
export const Clearance = z.number().int().min(0).max(4);

export const TeamName = z.string().regex(/^[a-z0-9][a-z0-9._-]{0,62}$/, 'lowercase letters, digits, . _ -');

/** A daily window of UTC minutes [fromMinute, toMinute); from > to wraps midnight. */
export const HoursWindow = z.strictObject({
  fromMinute: z.number().int().min(0).max(1439),
  toMinute: z.number().int().min(0).max(1440),
});

/**
 * What a principal may see and do beyond its roles (ABAC). `null` means unrestricted: no region,
 * every team, any hour.
 */
export const PrincipalAttributes = z.strictObject({
  region: Region.nullable().default(null),
  clearance: Clearance.default(0),
  teams: z.array(TeamName).max(100).nullable().default(null),
  hours: HoursWindow.nullable().default(null),
});
export type PrincipalAttributes = z.infer<typeof PrincipalAttributes>;

export const PrincipalKind = z.enum(['user', 'service-account']);

/**
 * The authorization-relevant state of one principal in one tenant: what the gateway enforces and
 * forwards with every request. `subject` is the token's `sub` (a user id, or a service account's
 * client id).
 */
export const Principal = z.strictObject({
  tenantId: TenantId,
  subject: z.string().min(1).max(255),
  kind: PrincipalKind,
  roles: z.array(Role).max(5),
  platformAdmin: z.boolean().default(false),
  ...PrincipalAttributes.shape,
});
export type Principal = z.infer<typeof Principal>;

/**
 * The latest snapshot of a principal, on the compacted `meridian.identity.principals` topic keyed
 * `<tenantId>/<subject>`. `active: false` revokes it (disabled user, deleted service account): the
 * gateway refuses its tokens from then on. `version` is the principal's stream version; a consumer
 * keeps the highest it has seen.
 */
export const PrincipalSnapshotV1 = defineMessage(
  'meridian.identity.principal.snapshot.v1',
  'event',
  z.strictObject({
    principal: Principal,
    name: z.string().max(200),
    active: z.boolean(),
    version: z.number().int().min(1),
    changedAt: z.iso.datetime({ offset: true }),
  }),
  'The current roles and attributes of a user or service account in a tenant (compacted: the latest wins).',
);

export const principalKey = (tenantId: string, subject: string): string => `${tenantId}/${subject}`;

/**
 * The acting principal of a command or query (its `meridian-principal` header), checked against
 * the message's tenant; AUTH.PRINCIPAL_UNKNOWN when absent or malformed, so a request that skipped
 * the gateway's authentication is refused rather than served unfiltered.
 */
export function requirePrincipal(message: { readonly tenantId?: string; readonly principal?: string }): Principal {
  let raw: unknown;
  try {
    raw = message.principal === undefined ? undefined : JSON.parse(message.principal);
  } catch {
    raw = undefined;
  }
  const parsed = Principal.safeParse(raw);
  if (!parsed.success) throw new CodedError(AuthErrors.principalUnknown, 'request without a valid principal header');
  if (parsed.data.tenantId !== message.tenantId) {
    throw new CodedError(AuthErrors.forbiddenTenant, 'the principal belongs to another tenant than the request');
  }
  return parsed.data;
}
