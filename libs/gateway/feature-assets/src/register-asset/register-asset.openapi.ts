import { AssetErrors } from '@meridian/contracts/assets';
import { ErrorCodes } from '@meridian/contracts/core';
import { errorResponses, jsonSchema, registerOperation } from '@meridian/gateway/util-http';
import { RegisterAssetBody } from './register-asset.controller';

registerOperation('/v1/assets', 'post', () => ({
  summary: 'Register an asset',
  operationId: 'registerAsset',
  parameters: [
    {
      name: 'Idempotency-Key',
      in: 'header',
      required: false,
      description:
        'Repeats with the same key and body get the first answer (kept 24 h); the asset id derives from the key.',
      schema: { type: 'string', pattern: '^[A-Za-z0-9_.:-]{1,200}$' },
    },
  ],
  requestBody: { required: true, content: { 'application/json': { schema: jsonSchema(RegisterAssetBody) } } },
  responses: {
    '201': {
      description: 'Registered; `version` is the asset stream version.',
      content: { 'application/json': { schema: { $ref: '#/components/schemas/CommandAccepted' } } },
    },
    '202': {
      description: 'Sent, but workflow did not answer within the timeout; it may still be applied.',
      content: { 'application/json': { schema: { $ref: '#/components/schemas/CommandPending' } } },
    },
    ...errorResponses(
      ErrorCodes.requestMalformedJson,
      ErrorCodes.requestTooLarge,
      ErrorCodes.requestUnsupportedMediaType,
      AssetErrors.assetAlreadyRegistered,
      ErrorCodes.idempotencyKeyInvalid,
      ErrorCodes.idempotencyInProgress,
      ErrorCodes.idempotencyKeyReused,
    ),
  },
}));
