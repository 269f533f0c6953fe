import { ErrorCodes } from '@meridian/contracts/core';
import { OgcErrors } from '@meridian/contracts/ogc';
import { errorResponses, type Json, PUBLIC_SECURITY, registerOperation } from '@meridian/gateway/util-http';
import { ogcParameters } from './api-document/ogc-openapi-document';
import { GEOJSON_TYPE, HTML_TYPE, JSON_TYPE, OPENAPI_TYPE } from './ogc-links';

/*
 * The /ogc operations in the gateway's own OpenAPI document (3.1), beside /v1. Their full OGC
 * description, in OpenAPI 3.0 as OGC clients read it, is served at /ogc/api.
 */

const inline = (names: string[]): Json[] => names.map((n) => ogcParameters[n]);
const body = (type: string, description: string): Json => ({
  description,
  content: { [type]: { schema: { type: 'object' } }, [HTML_TYPE]: { schema: { type: 'string' } } },
});
const tags = ['OGC API – Features'];
const see = 'See /ogc/api for the OGC API – Features description of this operation.';

registerOperation('/ogc', 'get', () => ({
  tags,
  summary: 'OGC API – Features landing page',
  description: see,
  operationId: 'ogcLandingPage',
  parameters: inline(['f']),
  responses: {
    '200': body(JSON_TYPE, 'Links to the API definition, conformance and collections'),
    ...errorResponses(OgcErrors.parameterInvalid, OgcErrors.parameterUnknown),
  },
}));

registerOperation('/ogc/conformance', 'get', () => ({
  tags,
  summary: 'OGC conformance classes implemented',
  description: see,
  operationId: 'ogcConformance',
  security: PUBLIC_SECURITY,
  parameters: inline(['f']),
  responses: {
    '200': body(JSON_TYPE, '`conformsTo`'),
    ...errorResponses(OgcErrors.parameterInvalid, OgcErrors.parameterUnknown),
  },
}));

registerOperation('/ogc/api', 'get', () => ({
  tags,
  summary: 'The OpenAPI 3.0 document of /ogc',
  operationId: 'ogcApiDefinition',
  security: PUBLIC_SECURITY,
  parameters: [],
  responses: {
    '200': { description: 'OpenAPI 3.0', content: { [OPENAPI_TYPE]: { schema: { type: 'object' } } } },
    ...errorResponses(OgcErrors.parameterUnknown),
  },
}));

registerOperation('/ogc/collections', 'get', () => ({
  tags,
  summary: "The tenant's feature collections (assets, zones, positions) with their extents",
  description: see,
  operationId: 'ogcCollections',
  parameters: inline(['f']),
  responses: {
    '200': body(JSON_TYPE, '`collections` and `links`'),
    ...errorResponses(OgcErrors.parameterInvalid, OgcErrors.parameterUnknown, ErrorCodes.upstreamTimeout),
  },
}));

registerOperation('/ogc/collections/{collectionId}', 'get', () => ({
  tags,
  summary: 'One feature collection',
  description: see,
  operationId: 'ogcCollection',
  parameters: inline(['collectionId', 'f']),
  responses: {
    '200': body(JSON_TYPE, 'The collection'),
    ...errorResponses(
      OgcErrors.collectionNotFound,
      OgcErrors.parameterInvalid,
      OgcErrors.parameterUnknown,
      ErrorCodes.upstreamTimeout,
    ),
  },
}));

registerOperation('/ogc/collections/{collectionId}/items', 'get', () => ({
  tags,
  summary: 'Features of a collection by bbox and datetime, one keyset page at a time',
  description:
    `${see} \`numberMatched\` is exact, or left out when more than 100,000 features match (the default cap); ` +
    '`next`/`prev` links page both ways.',
  operationId: 'ogcItems',
  parameters: inline(['collectionId', 'limit', 'bbox', 'bboxCrs', 'datetime', 'cursor', 'f']),
  responses: {
    '200': body(GEOJSON_TYPE, 'A GeoJSON FeatureCollection with numberMatched, numberReturned, timeStamp, links'),
    ...errorResponses(
      OgcErrors.collectionNotFound,
      OgcErrors.parameterInvalid,
      OgcErrors.parameterUnknown,
      OgcErrors.datetimeInvalid,
      ErrorCodes.cursorInvalid,
      ErrorCodes.upstreamTimeout,
    ),
  },
}));

registerOperation('/ogc/collections/{collectionId}/items/{featureId}', 'get', () => ({
  tags,
  summary: 'One feature',
  description: see,
  operationId: 'ogcFeature',
  parameters: inline(['collectionId', 'featureId', 'f']),
  responses: {
    '200': body(GEOJSON_TYPE, 'A GeoJSON Feature with links'),
    ...errorResponses(
      OgcErrors.collectionNotFound,
      OgcErrors.featureNotFound,
      OgcErrors.parameterInvalid,
      OgcErrors.parameterUnknown,
      ErrorCodes.upstreamTimeout,
    ),
  },
}));
