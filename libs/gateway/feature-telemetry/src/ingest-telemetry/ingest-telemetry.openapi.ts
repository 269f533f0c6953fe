import { AssetErrors } from '@meridian/contracts/assets';
import { ErrorCodes } from '@meridian/contracts/core';
import { Fix, TelemetryErrors } from '@meridian/contracts/telemetry';
import {
  errorResponses,
  jsonSchema,
  registerOperation,
  registerSchema,
  tenantHeader,
} from '@meridian/gateway/util-http';

registerSchema('TelemetryResult', () => ({
  type: 'object',
  required: ['accepted', 'rejected'],
  properties: {
    accepted: { type: 'integer' },
    rejected: {
      type: 'array',
      description: `Per-fix refusals: ${[
        TelemetryErrors.fixInvalid,
        TelemetryErrors.fixCoordinatesOutOfRange,
        TelemetryErrors.fixBadTimestamp,
        AssetErrors.assetUnknown,
        ErrorCodes.requestMalformedJson,
      ].join(', ')}`,
      items: {
        type: 'object',
        required: ['index', 'code', 'detail'],
        properties: { index: { type: 'integer' }, code: { type: 'string' }, detail: { type: 'string' } },
      },
    },
  },
}));

registerOperation('/v1/telemetry', 'post', () => ({
  summary: 'Ingest position fixes',
  operationId: 'ingestTelemetry',
  description:
    'Accepted fixes are durable in Kafka when the response arrives. A fix is idempotent on (assetId, ts): ' +
    'retrying a request is safe. Timestamps are stored in UTC at microsecond precision (finer digits are cut).',
  parameters: [tenantHeader],
  requestBody: {
    required: true,
    content: {
      'application/json': {
        schema: {
          type: 'object',
          required: ['fixes'],
          additionalProperties: false,
          properties: { fixes: { type: 'array', items: jsonSchema(Fix) } },
        },
      },
      'application/x-ndjson': { schema: { type: 'string', description: 'One fix object per line' } },
    },
  },
  responses: {
    '202': {
      description: 'Accepted and rejected fixes',
      content: { 'application/json': { schema: { $ref: '#/components/schemas/TelemetryResult' } } },
    },
    ...errorResponses(
      ErrorCodes.requestMalformedJson,
      ErrorCodes.requestTooLarge,
      TelemetryErrors.fixTooManyFixes,
      ErrorCodes.requestUnsupportedMediaType,
      ErrorCodes.upstreamTimeout,
    ),
  },
}));
