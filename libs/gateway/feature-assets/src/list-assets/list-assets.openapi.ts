import { AssetFeature } from '@meridian/contracts/assets';
import { ErrorCodes } from '@meridian/contracts/core';
import {
  errorResponses,
  jsonSchema,
  pageParameters,
  registerOperation,
  tenantHeader,
} from '@meridian/gateway/util-http';

registerOperation('/v1/assets', 'get', () => ({
  summary: 'Assets, or those whose latest position is inside a bounding box, one page at a time',
  operationId: 'listAssets',
  parameters: [
    tenantHeader,
    {
      name: 'bbox',
      in: 'query',
      required: false,
      schema: { type: 'string', example: '5.9,45.8,10.5,47.8' },
      description: 'minLon,minLat,maxLon,maxLat (WGS 84); without it, every asset of the tenant, positioned or not',
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
    ...errorResponses(ErrorCodes.bboxInvalid, ErrorCodes.cursorInvalid, ErrorCodes.upstreamTimeout),
  },
}));
