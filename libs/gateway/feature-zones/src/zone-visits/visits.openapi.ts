import { ErrorCodes } from '@meridian/contracts/core';
import { errorResponses, pageParameters, registerOperation } from '@meridian/gateway/util-http';
import { listOf, visitSchema, windowParameters, zoneIdPath } from '../zone-openapi';

const visits = (summary: string, operationId: string, idDescription: string) => () => ({
  summary,
  operationId,
  parameters: [{ ...zoneIdPath, description: idDescription }, ...windowParameters, ...pageParameters],
  responses: {
    '200': {
      description: 'Stays overlapping [from, to), by entry time; `exitedAt` is null while inside.',
      content: { 'application/json': { schema: listOf('visits', visitSchema()) } },
    },
    ...errorResponses(ErrorCodes.requestInvalid, ErrorCodes.cursorInvalid, ErrorCodes.upstreamTimeout),
  },
});

registerOperation('/v1/zones/{id}/visits', 'get', visits('Stays of assets in a zone', 'listZoneVisits', 'Zone id'));
registerOperation('/v1/assets/{id}/visits', 'get', visits('Stays of an asset in zones', 'listAssetVisits', 'Asset id'));
