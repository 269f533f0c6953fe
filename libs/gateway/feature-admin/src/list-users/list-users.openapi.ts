import { ErrorCodes } from '@meridian/contracts/core';
import { errorResponses, pageParameters, registerOperation } from '@meridian/gateway/util-http';
import { ADMIN_TAG, jsonResponse, listOf, principalSchema } from '../admin-openapi';

registerOperation('/v1/users', 'get', () => ({
  summary: "List your tenant's users",
  description:
    'Needs `identity:read` (role admin). Read from the principal snapshots identity publishes: a change shows ' +
    'within seconds. Disabled users are listed with `active: false`. Never a password or its hash.',
  operationId: 'listUsers',
  tags: [ADMIN_TAG],
  parameters: [...pageParameters],
  responses: {
    '200': jsonResponse(
      'One page of users in id order; `links` has `next` while more follow.',
      listOf('users', principalSchema('id')),
    ),
    ...errorResponses(ErrorCodes.cursorInvalid),
  },
}));
