import { AccountErrors } from '@meridian/contracts/identity';
import { errorResponses, registerOperation } from '@meridian/gateway/util-http';
import { ADMIN_TAG, jsonResponse, principalSchema, userIdPath } from '../admin-openapi';

registerOperation('/v1/users/{id}', 'get', () => ({
  summary: 'One user of your tenant',
  description: 'Needs `identity:read` (role admin). A disabled user reads with `active: false`.',
  operationId: 'getUser',
  tags: [ADMIN_TAG],
  parameters: [userIdPath],
  responses: {
    '200': jsonResponse('The user: roles, attributes, whether it is active.', principalSchema('id')),
    ...errorResponses(AccountErrors.userNotFound),
  },
}));
