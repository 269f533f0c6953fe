import { ZoneErrors, ZoneFeature, ZoneVisit } from '@meridian/contracts/zones';
import { ErrorCodes } from '@meridian/contracts/core';
import { type Json, jsonSchema } from '@meridian/gateway/util-http';

/** Shared pieces of the zone operations' OpenAPI entries. */
export const zoneIdPath: Json = { name: 'id', in: 'path', required: true, schema: { type: 'string', format: 'uuid' } };

export const ifMatchHeader: Json = {
  name: 'If-Match',
  in: 'header',
  required: false,
  description: 'The zone version you read (its `ETag`, e.g. `"3"`); another version → 412. Without it: unconditional.',
  schema: { type: 'string', example: '"3"' },
};

export const windowParameters: readonly Json[] = ['from', 'to'].map((name) => ({
  name,
  in: 'query',
  required: false,
  description: `${name === 'from' ? 'Start' : 'End'} of the half-open window [from, to), RFC 3339 with an offset`,
  schema: { type: 'string', format: 'date-time' },
}));

export const zoneFeatureSchema = (): Json => jsonSchema(ZoneFeature);

export const listOf = (field: string, items: Json): Json => ({
  type: 'object',
  required: [field, 'numberReturned', 'links'],
  properties: {
    [field]: { type: 'array', items },
    numberReturned: { type: 'integer' },
    links: { type: 'array', items: { $ref: '#/components/schemas/Link' } },
  },
});

export const visitSchema = (): Json => jsonSchema(ZoneVisit);

/** Refusals a zone command can earn from workflow. */
export const zoneCommandErrors = [
  ErrorCodes.requestMalformedJson,
  ErrorCodes.requestTooLarge,
  ErrorCodes.requestUnsupportedMediaType,
  ZoneErrors.zoneGeometryInvalid,
  ZoneErrors.zoneValidityInvalid,
  ZoneErrors.zoneSensitivityInvalid,
];
