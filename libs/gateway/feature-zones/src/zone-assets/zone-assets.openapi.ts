import { ErrorCodes } from '@meridian/contracts/core';
import { errorResponses, pageParameters, registerOperation } from '@meridian/gateway/util-http';
import { listOf, zoneIdPath } from '../zone-openapi';

registerOperation('/v1/zones/{id}/assets', 'get', () => ({
  summary: 'Assets inside a zone now',
  operationId: 'listAssetsInZone',
  parameters: [zoneIdPath, ...pageParameters],
  responses: {
    '200': {
      description: 'Assets with an open stay in the zone and when each entered, in asset id order.',
      content: {
        'application/json': {
          schema: listOf('assets', {
            type: 'object',
            required: ['assetId', 'enteredAt'],
            properties: { assetId: { type: 'string', format: 'uuid' }, enteredAt: { type: 'string' } },
          }),
        },
      },
    },
    ...errorResponses(ErrorCodes.requestInvalid, ErrorCodes.cursorInvalid, ErrorCodes.upstreamTimeout),
  },
}));
