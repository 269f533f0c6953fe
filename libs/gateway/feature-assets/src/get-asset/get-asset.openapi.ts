import { AssetErrors, AssetFeature } from '@meridian/contracts/assets';
import { ErrorCodes } from '@meridian/contracts/core';
import { errorResponses, jsonSchema, registerOperation } from '@meridian/gateway/util-http';

registerOperation('/v1/assets/{id}', 'get', () => ({
  summary: 'One asset with its latest position',
  operationId: 'getAsset',
  parameters: [{ name: 'id', in: 'path', required: true, schema: { type: 'string', format: 'uuid' } }],
  responses: {
    '200': {
      description: 'GeoJSON Feature; `ETag` is the asset stream version.',
      content: { 'application/geo+json': { schema: jsonSchema(AssetFeature) } },
    },
    ...errorResponses(AssetErrors.assetNotFound, ErrorCodes.upstreamTimeout),
  },
}));
