import { AssetFeature, MAX_AGE_DEFAULT_SECONDS, MAX_AGE_MAX_SECONDS } from '@meridian/contracts/assets';
import { ErrorCodes } from '@meridian/contracts/core';
import { errorResponses, jsonSchema, pageParameters, registerOperation } from '@meridian/gateway/util-http';

registerOperation('/v1/assets', 'get', () => ({
  summary: 'Assets (or those inside a bounding box), now or at an instant, one page at a time',
  operationId: 'listAssets',
  parameters: [
    {
      name: 'bbox',
      in: 'query',
      required: false,
      schema: { type: 'string', example: '5.9,45.8,10.5,47.8' },
      description:
        'minLon,minLat,maxLon,maxLat (WGS 84; minLon ≤ maxLon: a bbox across the antimeridian is refused, ' +
        'ask for each side); ' +
        'without it, every asset of the tenant, positioned or not',
    },
    {
      name: 'at',
      in: 'query',
      required: false,
      schema: { type: 'string', format: 'date-time', example: '2026-11-30T14:02:00Z' },
      description:
        'Where every asset was at this instant: its last fix at or before `at`, no older than `maxAge`, inside ' +
        '`bbox` if given (`geometry` and `lastSeen` are that fix). Assets without such a fix are left out.',
    },
    {
      name: 'maxAge',
      in: 'query',
      required: false,
      schema: { type: 'integer', minimum: 1, maximum: MAX_AGE_MAX_SECONDS, default: MAX_AGE_DEFAULT_SECONDS },
      description: 'With `at`: the staleness window in seconds (default 600, ten minutes).',
    },
    ...pageParameters,
  ],
  responses: {
    '200': {
      description: 'GeoJSON FeatureCollection in asset id order; `links` has `next` while more assets match.',
      content: {
        'application/geo+json': {
          schema: {
            type: 'object',
            required: ['type', 'features', 'numberReturned', 'links'],
            properties: {
              type: { const: 'FeatureCollection' },
              features: { type: 'array', items: jsonSchema(AssetFeature) },
              numberReturned: { type: 'integer' },
              links: { type: 'array', items: { $ref: '#/components/schemas/Link' } },
            },
          },
        },
      },
    },
    ...errorResponses(
      ErrorCodes.requestInvalid,
      ErrorCodes.bboxInvalid,
      ErrorCodes.cursorInvalid,
      ErrorCodes.upstreamTimeout,
    ),
  },
}));
