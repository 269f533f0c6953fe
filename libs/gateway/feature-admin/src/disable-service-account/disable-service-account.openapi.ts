import { AccountErrors } from '@meridian/contracts/identity';
import { errorResponses, registerOperation } from '@meridian/gateway/util-http';
import { ADMIN_TAG, clientIdPath, identityRefusals, pendingResponse } from '../admin-openapi';

registerOperation('/v1/service-accounts/{clientId}', 'delete', () => ({
  summary: 'Disable a service account',
  description:
    'Needs `identity:admin` (role admin). It gets no new tokens and its tokens are refused within seconds; it ' +
    'stays listed with `active: false`.',
  operationId: 'disableServiceAccount',
  tags: [ADMIN_TAG],
  parameters: [clientIdPath()],
  responses: {
    '204': { description: 'Disabled.' },
    '202': pendingResponse({ clientId: { type: 'string' } }),
    ...errorResponses(...identityRefusals, AccountErrors.serviceAccountNotFound),
  },
}));
