import { AccountErrors } from '@meridian/contracts/identity';
import { errorResponses, registerOperation } from '@meridian/gateway/util-http';
import { ADMIN_TAG, identityRefusals, pendingResponse, userIdPath, uuidId } from '../admin-openapi';

registerOperation('/v1/users/{id}', 'delete', () => ({
  summary: 'Disable a user',
  description:
    'Needs `identity:admin` (role admin). The user can no longer log in and its tokens are refused within ' +
    'seconds; it stays listed with `active: false` (user ids and usernames are never reused). Disabling ' +
    'again is answered 204 too.',
  operationId: 'disableUser',
  tags: [ADMIN_TAG],
  parameters: [userIdPath],
  responses: {
    '204': { description: 'Disabled.' },
    '202': pendingResponse({ id: uuidId }),
    ...errorResponses(...identityRefusals, AccountErrors.userNotFound),
  },
}));
