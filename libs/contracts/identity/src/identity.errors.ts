import { defineErrors } from '@meridian/contracts/core';

export const IdentityErrors = defineErrors({
  tenantUnknown: {
    code: 'TENANT.UNKNOWN',
    status: 404,
    description: 'The tenant in `X-Tenant-Id` (or the default tenant) does not exist.',
  },
  tenantInvalid: {
    code: 'TENANT.INVALID',
    status: 400,
    description:
      '`X-Tenant-Id` is not a tenant id (2–63 lowercase letters, digits and dashes). Services reply with it to a ' +
      'command or query without a valid `tenant-id` header.',
  },
  tenantAlreadyRegistered: {
    code: 'TENANT.ALREADY_REGISTERED',
    status: 409,
    description: 'identity refused to register a tenant that exists. No HTTP endpoint registers tenants yet.',
  },
});
