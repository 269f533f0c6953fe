import { ZoneErrors } from '@meridian/contracts/zones';
import { errorResponses, registerOperation } from '@meridian/gateway/util-http';
import { zoneFeatureSchema, zoneIdPath } from '../zone-openapi';

registerOperation('/v1/zones/{id}', 'get', () => ({
  summary: 'One zone, archived or not',
  operationId: 'getZone',
  parameters: [zoneIdPath],
  responses: {
    '200': {
      description: 'GeoJSON Feature; `ETag: "<version>"` for `If-Match`.',
      headers: { ETag: { schema: { type: 'string' } } },
      content: { 'application/geo+json': { schema: zoneFeatureSchema() } },
    },
    ...errorResponses(ZoneErrors.zoneNotFound),
  },
}));
