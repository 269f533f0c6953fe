import { z } from 'zod';
import { CodedError, defineMessage, DisplayName } from '@meridian/contracts/core';
import { IdentityErrors } from './identity.errors';

export const TenantId = z
  .string()
  .regex(/^[a-z0-9][a-z0-9-]{1,62}$/, 'lowercase letters, digits and dashes, 2-63 chars');

export const RegisterTenantV1 = defineMessage(
  'meridian.identity.tenant.register.v1',
  'command',
  z.strictObject({ tenantId: TenantId, name: DisplayName }),
  'Register a tenant (organisation).',
);

export const TenantRegisteredV1 = defineMessage(
  'meridian.identity.tenant.registered.v1',
  'event',
  z.strictObject({ tenantId: TenantId, name: z.string(), registeredAt: z.iso.datetime({ offset: true }) }),
  'A tenant exists from now on; the gateway admits requests for it.',
);

/** The tenant of a command or query (its `tenant-id` header), or TENANT.INVALID. */
export function requireTenant(message: { readonly tenantId?: string }): string {
  const parsed = TenantId.safeParse(message.tenantId);
  if (!parsed.success) throw new CodedError(IdentityErrors.tenantInvalid, 'request without a valid tenant-id header');
  return parsed.data;
}
