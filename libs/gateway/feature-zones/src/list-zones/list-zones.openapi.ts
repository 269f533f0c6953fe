import { ErrorCodes } from '@meridian/contracts/core';
import { zoneKinds } from '@meridian/contracts/zones';
import { errorResponses, pageParameters, registerOperation } from '@meridian/gateway/util-http';
import { zoneFeatureSchema } from '../zone-openapi';

registerOperation('/v1/zones', 'get', () => ({
  summary: 'Zones that are not archived, or those of a kind or intersecting a bounding box, one page at a time',
  operationId: 'listZones',
  parameters: [
    {
      name: 'bbox',
      in: 'query',
      required: false,
      schema: { type: 'string', example: '5.9,45.8,10.5,47.8' },
      description: 'minLon,minLat,maxLon,maxLat (WGS 84)',
    },
    {
      name: 'kind',
      in: 'query',
      required: false,
      schema: { enum: [...zoneKinds], example: 'mission_area' },
      description: 'Only zones of this kind (`mission_area`: the areas of missions)',
    },
    ...pageParameters,
  ],
  responses: {
    '200': {
      description: 'GeoJSON FeatureCollection in zone id order; `links` has `next` while more zones match.',
      content: {
        'application/geo+json': {
          schema: {
            type: 'object',
            required: ['type', 'features', 'numberReturned', 'links'],
            properties: {
              type: { const: 'FeatureCollection' },
              features: { type: 'array', items: zoneFeatureSchema() },
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
