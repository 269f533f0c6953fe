import { ErrorCodes } from '@meridian/contracts/core';
import { AuthErrors, IdentityErrors } from '@meridian/contracts/identity';
import { errorResponses, jsonSchema, registerOperation } from '@meridian/gateway/util-http';
import { CreateTenantBody } from './create-tenant.controller';

registerOperation('/v1/tenants', 'post', () => ({
  summary: 'Create a tenant and its first administrator (platform administrator)',
  operationId: 'createTenant',
  tags: ['admin'],
  description:
    'Needs `tenants:admin`: a token of the platform administrator (client `platform-admin`). The first ' +
    'administrator is a user with role admin and clearance 4; it logs in with authorization code + PKCE.',
  requestBody: { required: true, content: { 'application/json': { schema: jsonSchema(CreateTenantBody) } } },
  responses: {
    '201': {
      description: 'Created: `{tenantId, adminUserId, version}`.',
      content: { 'application/json': { schema: { type: 'object' } } },
    },
    ...errorResponses(
      ErrorCodes.requestInvalid,
      IdentityErrors.tenantAlreadyRegistered,
      AuthErrors.forbiddenRole,
      ErrorCodes.upstreamTimeout,
    ),
  },
}));
