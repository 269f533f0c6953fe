import { z } from 'zod';
import { AssetFeature, AssetFeatureCollection, Fix } from '@meridian/contracts';
import { RegisterAssetBody } from './assets.controller';

const schema = (s: z.ZodType): Record<string, unknown> => z.toJSONSchema(s, { io: 'input', unrepresentable: 'any' }) as Record<string, unknown>;

const problem = (description: string) => ({
  description,
  content: { 'application/problem+json': { schema: { $ref: '#/components/schemas/Problem' } } },
});

/** Responses every /v1 operation can give: tenant checks, media type, directory loading. */
const common = {
  '400': problem('REQUEST.INVALID, REQUEST.MALFORMED_JSON, TENANT.INVALID, …'),
  '404': problem('TENANT.UNKNOWN, or the resource does not exist'),
  '503': problem('UPSTREAM.UNAVAILABLE: the tenant directory is loading, or Kafka is unreachable'),
};

const tenantHeader = {
  name: 'X-Tenant-Id',
  in: 'header',
  required: false,
  description: 'Tenant of the request until OpenID Connect tokens carry it; defaults to the configured tenant.',
  schema: { type: 'string', pattern: '^[a-z0-9][a-z0-9-]{1,62}$' },
};

/** The gateway's OpenAPI 3.1 document, built from the same zod schemas that validate requests. */
export function buildOpenApi(serverUrl: string): Record<string, unknown> {
  return {
    openapi: '3.1.0',
    info: {
      title: 'Meridian API',
      version: '0.1.0',
      description:
        'Geospatial operations: assets, telemetry and spatial queries. Errors are application/problem+json with a stable `code`.',
    },
    servers: [{ url: serverUrl }],
    paths: {
      '/v1/assets': {
        post: {
          summary: 'Register an asset',
          operationId: 'registerAsset',
          parameters: [
            tenantHeader,
            {
              name: 'Idempotency-Key',
              in: 'header',
              required: false,
              description: 'Repeats with the same key and body get the first answer (kept 24 h); the asset id derives from the key.',
              schema: { type: 'string', pattern: '^[A-Za-z0-9_.:-]{1,200}$' },
            },
          ],
          requestBody: { required: true, content: { 'application/json': { schema: schema(RegisterAssetBody) } } },
          responses: {
            '201': {
              description: 'Registered; `version` is the asset stream version.',
              content: { 'application/json': { schema: { $ref: '#/components/schemas/CommandAccepted' } } },
            },
            '202': {
              description: 'Sent, but workflow did not answer within the timeout; it may still be applied.',
              content: { 'application/json': { schema: { $ref: '#/components/schemas/CommandPending' } } },
            },
            ...common,
            '409': problem('ASSET.ALREADY_REGISTERED, IDEMPOTENCY.IN_PROGRESS'),
            '413': problem('REQUEST.TOO_LARGE'),
            '415': problem('REQUEST.UNSUPPORTED_MEDIA_TYPE'),
            '422': problem('IDEMPOTENCY.KEY_REUSED'),
            '504': problem('UPSTREAM.TIMEOUT'),
          },
        },
        get: {
          summary: 'Assets whose latest position is inside a bounding box',
          operationId: 'listAssets',
          parameters: [
            tenantHeader,
            { name: 'bbox', in: 'query', required: false, schema: { type: 'string', example: '5.9,45.8,10.5,47.8' }, description: 'minLon,minLat,maxLon,maxLat (WGS 84)' },
            { name: 'limit', in: 'query', required: false, schema: { type: 'integer', minimum: 1, maximum: 10000, default: 1000 } },
          ],
          responses: {
            '200': { description: 'GeoJSON FeatureCollection', content: { 'application/geo+json': { schema: schema(AssetFeatureCollection) } } },
            ...common,
            '400': problem('QUERY.BBOX_INVALID (bbox), REQUEST.INVALID (limit), TENANT.INVALID'),
            '504': problem('UPSTREAM.TIMEOUT'),
          },
        },
      },
      '/v1/assets/{id}': {
        get: {
          summary: 'One asset with its latest position',
          operationId: 'getAsset',
          parameters: [tenantHeader, { name: 'id', in: 'path', required: true, schema: { type: 'string', format: 'uuid' } }],
          responses: {
            '200': { description: 'GeoJSON Feature', content: { 'application/geo+json': { schema: schema(AssetFeature) } } },
            ...common,
            '400': problem('REQUEST.INVALID (id is not a UUID), TENANT.INVALID'),
            '404': problem('ASSET.NOT_FOUND, TENANT.UNKNOWN'),
            '504': problem('UPSTREAM.TIMEOUT'),
          },
        },
      },
      '/v1/telemetry': {
        post: {
          summary: 'Ingest position fixes',
          operationId: 'ingestTelemetry',
          description:
            'Accepted fixes are durable in Kafka when the response arrives. A fix is idempotent on (assetId, ts): retrying a request is safe.',
          parameters: [tenantHeader],
          requestBody: {
            required: true,
            content: {
              'application/json': { schema: { type: 'object', required: ['fixes'], additionalProperties: false, properties: { fixes: { type: 'array', items: schema(Fix) } } } },
              'application/x-ndjson': { schema: { type: 'string', description: 'One fix object per line' } },
            },
          },
          responses: {
            '202': { description: 'Accepted and rejected fixes', content: { 'application/json': { schema: { $ref: '#/components/schemas/TelemetryResult' } } } },
            ...common,
            '413': problem('REQUEST.TOO_LARGE or TELEMETRY.TOO_MANY_FIXES'),
            '415': problem('REQUEST.UNSUPPORTED_MEDIA_TYPE'),
            '503': problem('UPSTREAM.UNAVAILABLE: Kafka did not acknowledge; some fixes of a large request may be stored already, and retrying is safe (fixes are idempotent on assetId + ts)'),
            '504': problem('UPSTREAM.TIMEOUT: geo-query did not confirm the asset ids in time'),
          },
        },
      },
    },
    components: {
      schemas: {
        Problem: {
          type: 'object',
          required: ['type', 'title', 'status', 'code'],
          properties: {
            type: { type: 'string' },
            title: { type: 'string' },
            status: { type: 'integer' },
            code: { type: 'string', description: 'Stable error code, e.g. ASSET.NOT_FOUND' },
            detail: { type: 'string' },
            instance: { type: 'string' },
            errors: { type: 'array', items: { type: 'object', properties: { path: { type: 'string' }, message: { type: 'string' } } } },
          },
        },
        CommandPending: {
          type: 'object',
          required: ['id', 'status', 'correlationId'],
          properties: { id: { type: 'string', format: 'uuid' }, status: { const: 'pending' }, correlationId: { type: 'string' } },
        },
        CommandAccepted: { type: 'object', required: ['id', 'version'], properties: { id: { type: 'string', format: 'uuid' }, version: { type: 'integer' } } },
        TelemetryResult: {
          type: 'object',
          required: ['accepted', 'rejected'],
          properties: {
            accepted: { type: 'integer' },
            rejected: {
              type: 'array',
              items: { type: 'object', required: ['index', 'code', 'detail'], properties: { index: { type: 'integer' }, code: { type: 'string' }, detail: { type: 'string' } } },
            },
          },
        },
      },
    },
  };
}
