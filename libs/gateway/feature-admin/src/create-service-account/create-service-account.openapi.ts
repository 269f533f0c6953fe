import { AccountErrors, IdentityErrors } from '@meridian/contracts/identity';
import { errorResponses, jsonSchema, registerOperation } from '@meridian/gateway/util-http';
import {
  ADMIN_TAG,
  bodyErrors,
  idempotencyErrors,
  idempotencyHeader,
  identityRefusals,
  jsonBody,
  jsonResponse,
  secretRefusals,
} from '../admin-openapi';
import { CreateServiceAccountBody } from './create-service-account.controller';

const shown = {
  clientId: { type: 'string' },
  clientSecret: { type: 'string', description: '32 random bytes, base64url: shown here only, never again' },
  tokenEndpoint: { type: 'string', format: 'uri', description: 'Where to get tokens with client credentials' },
};

registerOperation('/v1/service-accounts', 'post', () => ({
  summary: 'Create a service account of your tenant (an OAuth client for client credentials)',
  description:
    'Needs `identity:admin` (role admin). The gateway generates the client secret, seals it before it leaves ' +
    'the gateway, and answers it once (`Cache-Control: no-store`); identity stores it only sealed. Client ids ' +
    'are unique across tenants. With an `Idempotency-Key`, a retry answers the same secret.',
  operationId: 'createServiceAccount',
  tags: [ADMIN_TAG],
  parameters: [idempotencyHeader('the secret derives from it (and from SECRETS_KEY).')],
  requestBody: jsonBody(jsonSchema(CreateServiceAccountBody)),
  responses: {
    '201': jsonResponse('Created; `Location` is the service account.', {
      type: 'object',
      required: ['clientId', 'clientSecret', 'tokenEndpoint', 'version'],
      properties: { ...shown, version: { type: 'integer' } },
    }),
    '202': jsonResponse('Sent, but identity did not answer in time; it may still be created with this secret.', {
      type: 'object',
      required: ['clientId', 'clientSecret', 'tokenEndpoint', 'status', 'correlationId'],
      properties: { ...shown, status: { const: 'pending' }, correlationId: { type: 'string' } },
    }),
    ...errorResponses(
      ...bodyErrors,
      ...idempotencyErrors,
      ...identityRefusals,
      ...secretRefusals,
      AccountErrors.serviceAccountAlreadyExists,
      IdentityErrors.tenantUnknown,
    ),
  },
}));
