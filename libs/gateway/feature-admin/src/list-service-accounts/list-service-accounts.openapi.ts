import { ErrorCodes } from '@meridian/contracts/core';
import { errorResponses, pageParameters, registerOperation } from '@meridian/gateway/util-http';
import { ADMIN_TAG, jsonResponse, listOf, principalSchema } from '../admin-openapi';

registerOperation('/v1/service-accounts', 'get', () => ({
  summary: "List your tenant's service accounts",
  description:
    'Needs `identity:read` (role admin). Read from the principal snapshots identity publishes: a change shows ' +
    'within seconds. Disabled accounts are listed with `active: false`. Never a secret.',
  operationId: 'listServiceAccounts',
  tags: [ADMIN_TAG],
  parameters: [...pageParameters],
  responses: {
    '200': jsonResponse(
      'One page of service accounts in client id order; `links` has `next` while more follow.',
      listOf('serviceAccounts', principalSchema('clientId')),
    ),
    ...errorResponses(ErrorCodes.cursorInvalid),
  },
}));
