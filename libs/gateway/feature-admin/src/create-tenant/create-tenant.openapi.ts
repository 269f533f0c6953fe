import { AccountErrors, IdentityErrors } from '@meridian/contracts/identity';
import { errorResponses, jsonSchema, registerOperation } from '@meridian/gateway/util-http';
import {
  acceptedSchema,
  ADMIN_TAG,
  bodyErrors,
  idempotencyErrors,
  idempotencyHeader,
  identityRefusals,
  jsonBody,
  jsonResponse,
  pendingResponse,
  secretRefusals,
  uuidId,
} from '../admin-openapi';
import { CreateTenantBody } from './create-tenant.controller';

registerOperation('/v1/tenants', 'post', () => ({
  summary: 'Create a tenant and its first administrator (platform administrator)',
  description:
    'Needs `tenants:admin`, which only the platform administrator has (client `platform-admin` of tenant ' +
    '`platform`). Registers the tenant, then creates its first administrator: a user with role admin and ' +
    'clearance 4, who logs in with authorization code + PKCE. The password is sealed before it leaves the gateway. ' +
    'A 202 or an interrupted request is finished by a retry with the same `Idempotency-Key`.',
  operationId: 'createTenant',
  tags: [ADMIN_TAG],
  parameters: [idempotencyHeader('the administrator id derives from the key.')],
  requestBody: jsonBody(jsonSchema(CreateTenantBody)),
  responses: {
    '201': jsonResponse(
      'Created; `Location` is the administrator (`/v1/users/{adminUserId}`), readable by tenant administrators.',
      acceptedSchema({ tenantId: { type: 'string' }, adminUserId: uuidId }),
    ),
    '202': pendingResponse({ tenantId: { type: 'string' } }),
    ...errorResponses(
      ...bodyErrors,
      ...idempotencyErrors,
      ...identityRefusals,
      ...secretRefusals,
      IdentityErrors.tenantAlreadyRegistered,
      AccountErrors.usernameTaken,
    ),
  },
}));
