import { defineErrors } from '@meridian/contracts/core';

export const IdentityErrors = defineErrors({
  tenantUnknown: {
    code: 'TENANT.UNKNOWN',
    status: 404,
    description: 'The tenant named by a command (e.g. the tenant of a new user) does not exist.',
  },
  tenantInvalid: {
    code: 'TENANT.INVALID',
    status: 400,
    description:
      'Not a tenant id (2–63 lowercase letters, digits and dashes). Services reply with it to a command or ' +
      'query without a valid `tenant-id` header.',
  },
  tenantAlreadyRegistered: {
    code: 'TENANT.ALREADY_REGISTERED',
    status: 409,
    description: 'A tenant with this id exists (`POST /v1/tenants`).',
  },
});

/** Authentication (401) and authorization (403) refusals: docs/permissions.md. */
export const AuthErrors = defineErrors({
  tokenMissing: {
    code: 'AUTH.TOKEN_MISSING',
    status: 401,
    description: 'The request has no `Authorization: Bearer <access token>` header. Get a token from identity.',
  },
  tokenInvalid: {
    code: 'AUTH.TOKEN_INVALID',
    status: 401,
    description:
      'The access token is malformed, unsigned (`alg: none`), signed by an unknown key or wrongly, or made for ' +
      'another issuer or audience.',
  },
  tokenExpired: {
    code: 'AUTH.TOKEN_EXPIRED',
    status: 401,
    description: 'The access token has expired or is not valid yet: get a new one (refresh or client credentials).',
  },
  principalUnknown: {
    code: 'AUTH.PRINCIPAL_UNKNOWN',
    status: 401,
    description: "The token's subject is not (or no longer) an active user or service account of its tenant.",
  },
  forbiddenRole: {
    code: 'AUTH.FORBIDDEN_ROLE',
    status: 403,
    description: "None of the principal's roles grants the permission the operation needs (docs/permissions.md).",
  },
  forbiddenTenant: {
    code: 'AUTH.FORBIDDEN_TENANT',
    status: 403,
    description: "The resource belongs to another tenant than the token's.",
  },
  outsideHours: {
    code: 'AUTH.OUTSIDE_HOURS',
    status: 403,
    description: "The principal's time-of-day window does not include now.",
  },
  outsideRegion: {
    code: 'AUTH.OUTSIDE_REGION',
    status: 403,
    description: "The resource lies outside the principal's allowed region.",
  },
  clearance: {
    code: 'AUTH.CLEARANCE',
    status: 403,
    description: "The resource's sensitivity exceeds the principal's clearance.",
  },
  team: {
    code: 'AUTH.TEAM',
    status: 403,
    description: 'The resource belongs to a team the principal is not a member of.',
  },
});

/** Refusals of the user and service-account commands (`/v1/users`, `/v1/service-accounts`). */
export const AccountErrors = defineErrors({
  userAlreadyExists: {
    code: 'USER.ALREADY_EXISTS',
    status: 409,
    description: 'A user with this id exists in the tenant (or the id belongs to a user of another kind of login).',
  },
  usernameTaken: {
    code: 'USER.USERNAME_TAKEN',
    status: 409,
    description: 'Another user of the tenant has this username (usernames are unique per tenant, forever).',
  },
  userNotFound: {
    code: 'USER.NOT_FOUND',
    status: 404,
    description: 'No user with this id in the tenant.',
  },
  userDisabled: {
    code: 'USER.DISABLED',
    status: 409,
    description: 'The user is disabled: its memberships cannot change and it cannot log in.',
  },
  serviceAccountAlreadyExists: {
    code: 'SERVICE_ACCOUNT.ALREADY_EXISTS',
    status: 409,
    description: 'A service account with this client id exists (client ids are unique across tenants).',
  },
  serviceAccountNotFound: {
    code: 'SERVICE_ACCOUNT.NOT_FOUND',
    status: 404,
    description: 'No service account with this client id in the tenant.',
  },
  serviceAccountDisabled: {
    code: 'SERVICE_ACCOUNT.DISABLED',
    status: 409,
    description: 'The service account is disabled: its memberships cannot change.',
  },
  secretInvalid: {
    code: 'IDENTITY.SECRET_INVALID',
    status: 400,
    description:
      'A sealed password or client secret does not open with the SECRETS_KEY (altered, or sealed under another key).',
  },
  secretTooWeak: {
    code: 'IDENTITY.SECRET_TOO_WEAK',
    status: 400,
    description:
      'A password is shorter than 8 characters, a client secret shorter than 16, or either longer than 256 ' +
      '(checked once the sealed value is opened).',
  },
});
