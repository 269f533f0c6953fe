import { errorResponses, jsonSchema, registerOperation } from '@meridian/gateway/util-http';
import { acceptedSchema, ADMIN_TAG, bodyErrors, jsonBody, jsonResponse } from '../admin-openapi';
import { RotateSigningKeyBody } from './rotate-signing-key.controller';

registerOperation('/v1/admin/signing-keys/rotate', 'post', () => ({
  summary: 'Rotate the access-token signing key now (platform administrator)',
  description:
    'Needs `tenants:admin` (the platform administrator). Identity publishes the next key at once; it signs ' +
    'after the activation delay, and the current key keeps verifying until its tokens have expired. Sent ' +
    'while a rotation is under way, it joins that rotation. The schedule rotates keys too.',
  operationId: 'rotateSigningKey',
  tags: [ADMIN_TAG],
  requestBody: jsonBody(jsonSchema(RotateSigningKeyBody)),
  responses: {
    '202': jsonResponse(
      'The next key is published (`id`: `signing-key-<kid>`), or identity did not answer in time ' +
        '(`{status: "pending", correlationId}`).',
      acceptedSchema({ id: { type: 'string' } }),
    ),
    ...errorResponses(...bodyErrors),
  },
}));
