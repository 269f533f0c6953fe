import { AccountErrors } from '@meridian/contracts/identity';
import { errorResponses, jsonSchema, registerOperation } from '@meridian/gateway/util-http';
import {
  acceptedSchema,
  ADMIN_TAG,
  bodyErrors,
  identityRefusals,
  jsonBody,
  jsonResponse,
  pendingResponse,
  userIdPath,
  uuidId,
} from '../admin-openapi';
import { MembershipBody } from '../membership';

registerOperation('/v1/users/{id}/membership', 'put', () => ({
  summary: "Replace a user's roles and attributes",
  description:
    'Needs `identity:admin` (role admin). A permission change: recorded in the audit trail, and enforced by the ' +
    'gateway within seconds (tokens already issued included). Attributes left out return to their defaults ' +
    '(no region, clearance 0, every team, any hour).',
  operationId: 'setUserMembership',
  tags: [ADMIN_TAG],
  parameters: [userIdPath],
  requestBody: jsonBody(jsonSchema(MembershipBody)),
  responses: {
    '200': jsonResponse('Replaced.', acceptedSchema({ id: uuidId })),
    '202': pendingResponse({ id: uuidId }),
    ...errorResponses(...bodyErrors, ...identityRefusals, AccountErrors.userNotFound, AccountErrors.userDisabled),
  },
}));
