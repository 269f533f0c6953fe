import { AssetErrors } from '@meridian/contracts/assets';
import { ErrorCodes } from '@meridian/contracts/core';
import { Fix, TelemetryErrors } from '@meridian/contracts/telemetry';
import { errorResponses, type Json, jsonSchema, registerOperation, registerSchema } from '@meridian/gateway/util-http';

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

const retryAfter: Json = {
  description: 'Whole seconds until the tenant may send this many fixes again.',
  schema: { type: 'integer', minimum: 1 },
};

registerOperation('/v1/telemetry', 'post', () => {
  const errors = errorResponses(
    ErrorCodes.requestMalformedJson,
    ErrorCodes.requestEncodingInvalid,
    ErrorCodes.requestTooLarge,
    TelemetryErrors.fixTooManyFixes,
    ErrorCodes.requestUnsupportedMediaType,
    ErrorCodes.rateLimited,
    ErrorCodes.upstreamTimeout,
  );
  return {
    summary: 'Ingest position fixes',
    operationId: 'ingestTelemetry',
    description:
      'Accepted fixes are durable in Kafka when the response arrives. A fix is idempotent on (assetId, ts): ' +
      'retrying a request is safe. Timestamps are stored in UTC at microsecond precision (finer digits are cut). ' +
      'NDJSON is parsed line by line as it arrives, and reading stops at the fix limit. Each tenant may send ' +
      '`GATEWAY_INGEST_RATE_FIXES_PER_S` fixes per second in bursts of up to `GATEWAY_INGEST_BURST_FIXES`, ' +
      'counted in fixes (valid or not): past that a request is refused whole, 429 with `Retry-After`.',
    parameters: [
      {
        name: 'Content-Encoding',
        in: 'header',
        required: false,
        description:
          '`gzip` (or `x-gzip`) for a compressed body, JSON or NDJSON. It is decompressed as it arrives, up to ' +
          '`GATEWAY_DECOMPRESSED_LIMIT_BYTES` (default 64 MiB); any other coding is 415.',
        schema: { type: 'string', enum: ['gzip', 'x-gzip', 'identity'] },
      },
    ],
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
      ...errors,
      '429': { ...(errors['429'] as Json), headers: { 'Retry-After': retryAfter } },
    },
  };
});
