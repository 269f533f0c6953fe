import { AssetKind, AssetStatus, NEAREST_DEFAULT_K, NEAREST_MAX_K, NearestFeature } from '@meridian/contracts/assets';
import { ErrorCodes } from '@meridian/contracts/core';
import { errorResponses, jsonSchema, registerOperation } from '@meridian/gateway/util-http';

registerOperation('/v1/assets/nearest', 'get', () => ({
  summary: 'The k assets nearest to a point',
  description:
    'By latest position, nearest first (a KNN scan of a geography index: great-circle order); `distanceMeters` ' +
    'is the distance on the WGS 84 spheroid. Assets without a position are never returned; fewer than `k` ' +
    'features when the fleet (after the filters) is smaller.',
  operationId: 'nearestAssets',
  parameters: [
    { name: 'lon', in: 'query', required: true, schema: { type: 'number', minimum: -180, maximum: 180 } },
    { name: 'lat', in: 'query', required: true, schema: { type: 'number', minimum: -90, maximum: 90 } },
    {
      name: 'k',
      in: 'query',
      required: false,
      schema: { type: 'integer', minimum: 1, maximum: NEAREST_MAX_K, default: NEAREST_DEFAULT_K },
    },
    { name: 'kind', in: 'query', required: false, schema: jsonSchema(AssetKind) },
    { name: 'status', in: 'query', required: false, schema: jsonSchema(AssetStatus) },
  ],
  responses: {
    '200': {
      description: 'GeoJSON FeatureCollection, nearest first.',
      content: {
        'application/geo+json': {
          schema: {
            type: 'object',
            required: ['type', 'features', 'numberReturned'],
            properties: {
              type: { const: 'FeatureCollection' },
              features: { type: 'array', items: jsonSchema(NearestFeature) },
              numberReturned: { type: 'integer' },
            },
          },
        },
      },
    },
    ...errorResponses(ErrorCodes.requestInvalid, ErrorCodes.upstreamTimeout),
  },
}));
