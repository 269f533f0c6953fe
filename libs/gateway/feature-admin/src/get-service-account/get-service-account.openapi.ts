import { AccountErrors } from '@meridian/contracts/identity';
import { errorResponses, registerOperation } from '@meridian/gateway/util-http';
import { ADMIN_TAG, clientIdPath, jsonResponse, principalSchema } from '../admin-openapi';

registerOperation('/v1/service-accounts/{clientId}', 'get', () => ({
  summary: 'One service account of your tenant',
  description: 'Needs `identity:read` (role admin). A disabled account reads with `active: false`; never its secret.',
  operationId: 'getServiceAccount',
  tags: [ADMIN_TAG],
  parameters: [clientIdPath()],
  responses: {
    '200': jsonResponse('The service account: roles, attributes, whether it is active.', principalSchema('clientId')),
    ...errorResponses(AccountErrors.serviceAccountNotFound),
  },
}));
