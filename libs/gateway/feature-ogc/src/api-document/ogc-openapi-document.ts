import { OGC_LIMIT_DEFAULT, OGC_LIMIT_MAX, ogcCollectionIds } from '@meridian/contracts/ogc';
import type { Json } from '@meridian/gateway/util-http';
import { GEOJSON_TYPE, HTML_TYPE, JSON_TYPE, OPENAPI_TYPE } from '../ogc-links';

/** Parameters as OGC API – Features Part 1 defines them (Annex B), in OpenAPI 3.0 form. */
export const ogcParameters: Readonly<Record<string, Json>> = {
  collectionId: {
    name: 'collectionId',
    in: 'path',
    required: true,
    description: 'The collection: `assets` (latest position per asset), `zones` (live zones), `positions` (fixes).',
    schema: { type: 'string', enum: [...ogcCollectionIds] },
  },
  featureId: {
    name: 'featureId',
    in: 'path',
    required: true,
    description: 'An asset id, a zone id, or `<assetId>~<epoch microseconds>` for a position.',
    schema: { type: 'string' },
  },
  limit: {
    name: 'limit',
    in: 'query',
    required: false,
    style: 'form',
    explode: false,
    description: `At most this many features (default ${OGC_LIMIT_DEFAULT}); more is lowered to ${OGC_LIMIT_MAX}.`,
    schema: { type: 'integer', minimum: 1, maximum: OGC_LIMIT_MAX, default: OGC_LIMIT_DEFAULT },
  },
  bbox: {
    name: 'bbox',
    in: 'query',
    required: false,
    style: 'form',
    explode: false,
    description:
      'minLon,minLat,maxLon,maxLat in CRS84 (six numbers with heights also accepted; heights are ignored). ' +
      'minLon > maxLon crosses the antimeridian.',
    schema: { type: 'array', minItems: 4, maxItems: 6, items: { type: 'number' } },
  },
  bboxCrs: {
    name: 'bbox-crs',
    in: 'query',
    required: false,
    style: 'form',
    explode: false,
    description: 'Only http://www.opengis.net/def/crs/OGC/1.3/CRS84 (the default).',
    schema: { type: 'string', format: 'uri' },
  },
  datetime: {
    name: 'datetime',
    in: 'query',
    required: false,
    style: 'form',
    explode: false,
    description:
      'An RFC 3339 instant, or an interval start/end (both inclusive) with `..` or nothing for an open end. ' +
      '`positions` without `datetime` is the last 24 hours (`<now - 24 h>/..`, repeated in the `next` link).',
    schema: { type: 'string' },
  },
  cursor: {
    name: 'cursor',
    in: 'query',
    required: false,
    description: 'Opaque; take it from a `next` or `prev` link.',
    schema: { type: 'string' },
  },
  f: {
    name: 'f',
    in: 'query',
    required: false,
    style: 'form',
    explode: false,
    description: 'The format, overriding the Accept header.',
    schema: { type: 'string', enum: ['json', 'html'] },
  },
};

const ref = (name: string): Json => ({ $ref: `#/components/parameters/${name}` });
const schemaRef = (name: string): Json => ({ $ref: `#/components/schemas/${name}` });

const problem = (description: string): Json => ({
  description,
  content: { 'application/problem+json': { schema: schemaRef('Problem') } },
});

const ok = (description: string, jsonType: string, schema: Json): Json => ({
  description,
  content: { [jsonType]: { schema }, [HTML_TYPE]: { schema: { type: 'string' } } },
});

const get = (operationId: string, summary: string, parameters: Json[], responses: Json): Json => ({
  get: { tags: ['OGC API – Features'], operationId, summary, parameters, responses },
});

const unauthorized = { '401': problem('No valid access token (AUTH.TOKEN_MISSING, AUTH.TOKEN_INVALID, …)') };
const errors = {
  '400': problem('A parameter is invalid or unknown'),
  ...unauthorized,
  '404': problem('No such collection or feature'),
};

/** An operation served without a token. */
const open = (operation: Json): Json => ({ get: { ...(operation['get'] as Json), security: [] } });

const linkSchema: Json = {
  type: 'object',
  required: ['href', 'rel'],
  properties: {
    href: { type: 'string' },
    rel: { type: 'string' },
    type: { type: 'string' },
    title: { type: 'string' },
  },
};

const links: Json = { type: 'array', items: schemaRef('Link') };

/**
 * The OpenAPI 3.0 document of `/ogc` alone (GDAL and the OGC test suite read 3.0, not 3.1), with
 * every `$ref` local: clients resolve them, and the machines running them may be offline.
 */
export function ogcOpenApiDocument(ogcRoot: string): Json {
  return {
    openapi: '3.0.3',
    info: {
      title: 'Meridian OGC API – Features',
      version: '1.0.0',
      description:
        "OGC API – Features Part 1: Core over a tenant's assets, zones and position history. Send an access " +
        'token as `Authorization: Bearer <token>` (GDAL: `GDAL_HTTP_AUTH=BEARER`, `GDAL_HTTP_BEARER=<token>`): the ' +
        "tenant is the token's, and only what its roles and attributes allow is served. The conformance " +
        "declaration and this document need no token. GeoJSON by default; HTML with `f=html` or a browser's Accept " +
        'header.',
    },
    servers: [{ url: ogcRoot }],
    security: [{ bearer: [] }],
    paths: {
      '/': get('getLandingPage', 'Landing page', [ref('f')], {
        '200': ok('Links to the API definition, the conformance declaration and the collections', JSON_TYPE, {
          type: 'object',
          required: ['links'],
          properties: { title: { type: 'string' }, description: { type: 'string' }, links },
        }),
        '400': errors['400'],
        ...unauthorized,
      }),
      '/conformance': open(
        get('getConformanceDeclaration', 'Conformance classes implemented', [ref('f')], {
          '200': ok('The conformance classes', JSON_TYPE, {
            type: 'object',
            required: ['conformsTo'],
            properties: { conformsTo: { type: 'array', items: { type: 'string' } } },
          }),
          '400': errors['400'],
        }),
      ),
      '/api': open(
        get('getApiDefinition', 'This document', [], {
          '200': { description: 'OpenAPI 3.0', content: { [OPENAPI_TYPE]: { schema: { type: 'object' } } } },
        }),
      ),
      '/collections': get('getCollections', 'The collections', [ref('f')], {
        '200': ok('The collections and links to them', JSON_TYPE, {
          type: 'object',
          required: ['links', 'collections'],
          properties: { links, collections: { type: 'array', items: schemaRef('Collection') } },
        }),
        '400': errors['400'],
        ...unauthorized,
      }),
      '/collections/{collectionId}': get('describeCollection', 'One collection', [ref('collectionId'), ref('f')], {
        '200': ok('The collection', JSON_TYPE, schemaRef('Collection')),
        ...errors,
      }),
      '/collections/{collectionId}/items': get(
        'getFeatures',
        'Features of a collection, one page at a time',
        [ref('collectionId'), ref('limit'), ref('bbox'), ref('bboxCrs'), ref('datetime'), ref('cursor'), ref('f')],
        {
          '200': ok('A GeoJSON FeatureCollection', GEOJSON_TYPE, schemaRef('FeatureCollection')),
          ...errors,
        },
      ),
      '/collections/{collectionId}/items/{featureId}': get(
        'getFeature',
        'One feature',
        [ref('collectionId'), ref('featureId'), ref('f')],
        { '200': ok('A GeoJSON Feature', GEOJSON_TYPE, schemaRef('Feature')), ...errors },
      ),
    },
    components: {
      securitySchemes: { bearer: { type: 'http', scheme: 'bearer', bearerFormat: 'JWT' } },
      parameters: ogcParameters,
      schemas: {
        Link: linkSchema,
        Problem: {
          type: 'object',
          required: ['type', 'title', 'status', 'code'],
          properties: {
            type: { type: 'string' },
            title: { type: 'string' },
            status: { type: 'integer' },
            code: { type: 'string' },
            detail: { type: 'string' },
          },
        },
        Collection: {
          type: 'object',
          required: ['id', 'links'],
          properties: {
            id: { type: 'string' },
            title: { type: 'string' },
            description: { type: 'string' },
            links,
            extent: { type: 'object' },
            itemType: { type: 'string' },
            crs: { type: 'array', items: { type: 'string' } },
          },
        },
        Feature: {
          type: 'object',
          required: ['type', 'geometry', 'properties'],
          properties: {
            type: { type: 'string', enum: ['Feature'] },
            id: { type: 'string' },
            geometry: { type: 'object', nullable: true },
            properties: { type: 'object', nullable: true },
            links,
          },
        },
        FeatureCollection: {
          type: 'object',
          required: ['type', 'features'],
          properties: {
            type: { type: 'string', enum: ['FeatureCollection'] },
            features: { type: 'array', items: schemaRef('Feature') },
            links,
            timeStamp: { type: 'string', format: 'date-time' },
            numberMatched: { type: 'integer', minimum: 0 },
            numberReturned: { type: 'integer', minimum: 0 },
          },
        },
      },
    },
  };
}
