import { AccountErrors } from '@meridian/contracts/identity';
import { errorResponses, jsonSchema, registerOperation } from '@meridian/gateway/util-http';
import {
  acceptedSchema,
  ADMIN_TAG,
  bodyErrors,
  clientIdPath,
  identityRefusals,
  jsonBody,
  jsonResponse,
  pendingResponse,
} from '../admin-openapi';
import { MembershipBody } from '../membership';

const ids = { clientId: { type: 'string' } };

registerOperation('/v1/service-accounts/{clientId}/membership', 'put', () => ({
  summary: "Replace a service account's roles and attributes",
  description:
    'Needs `identity:admin` (role admin). A permission change: recorded in the audit trail, and enforced by the ' +
    'gateway within seconds (tokens already issued included). Attributes left out return to their defaults.',
  operationId: 'setServiceAccountMembership',
  tags: [ADMIN_TAG],
  parameters: [clientIdPath()],
  requestBody: jsonBody(jsonSchema(MembershipBody)),
  responses: {
    '200': jsonResponse('Replaced.', acceptedSchema(ids)),
    '202': pendingResponse(ids),
    ...errorResponses(
      ...bodyErrors,
      ...identityRefusals,
      AccountErrors.serviceAccountNotFound,
      AccountErrors.serviceAccountDisabled,
    ),
  },
}));
