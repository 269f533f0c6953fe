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
import { CreateUserBody } from './create-user.controller';

registerOperation('/v1/users', 'post', () => ({
  summary: 'Create a user of your tenant',
  description:
    'Needs `identity:admin` (role admin). `roles` and `attributes` decide what the user may see and do ' +
    '(docs/permissions.md); `attributes.region` is a GeoJSON Polygon or MultiPolygon checked as a zone geometry ' +
    '(closed rings, no self-intersection, at most 1,000 positions). Without `password` the user can log in only ' +
    "through the tenant's federated identity provider. The password is sealed before it leaves the gateway.",
  operationId: 'createUser',
  tags: [ADMIN_TAG],
  parameters: [idempotencyHeader('the user id derives from the key.')],
  requestBody: jsonBody(jsonSchema(CreateUserBody)),
  responses: {
    '201': jsonResponse('Created; `Location` is the user.', acceptedSchema({ id: uuidId })),
    '202': pendingResponse({ id: uuidId }),
    ...errorResponses(
      ...bodyErrors,
      ...idempotencyErrors,
      ...identityRefusals,
      ...secretRefusals,
      AccountErrors.usernameTaken,
      AccountErrors.userAlreadyExists,
      IdentityErrors.tenantUnknown,
    ),
  },
}));
