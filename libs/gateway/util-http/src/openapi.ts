import { z } from 'zod';
import { type ErrorCode, errorDefinition, ErrorCodes } from '@meridian/contracts/core';
import { AuthErrors } from '@meridian/contracts/identity';

export type Json = Record<string, unknown>;
type Method = 'get' | 'post' | 'put' | 'patch' | 'delete';

/**
 * The gateway's OpenAPI 3.1 document is assembled from what each feature registers from its own
 * folder (`*.openapi.ts` next to the controller): nothing central lists the operations. Operations
 * are built lazily, when the document is built, so they can read every context's error codes.
 */
const operations = new Map<string, Map<Method, () => Json>>();
const schemas = new Map<string, () => Json>();

export function registerOperation(path: string, method: Method, build: () => Json): void {
  const byMethod = operations.get(path) ?? new Map<Method, () => Json>();
  if (byMethod.has(method)) throw new Error(`OpenAPI operation ${method.toUpperCase()} ${path} registered twice`);
  byMethod.set(method, build);
  operations.set(path, byMethod);
}

export function registerSchema(name: string, build: () => Json): void {
  schemas.set(name, build);
}

/** JSON Schema of what a zod schema accepts as input. */
export const jsonSchema = (s: z.ZodType): Json => z.toJSONSchema(s, { io: 'input', unrepresentable: 'any' }) as Json;

const problemResponse = (description: string): Json => ({
  description,
  content: { 'application/problem+json': { schema: { $ref: '#/components/schemas/Problem' } } },
});

/**
 * Codes every operation can answer with: validation, authentication (401), the coarse permission
 * check (403), the per-principal rate limit (429), unavailable dependencies.
 */
export const COMMON_CODES: readonly ErrorCode[] = [
  ErrorCodes.requestInvalid,
  AuthErrors.tokenMissing,
  AuthErrors.tokenInvalid,
  AuthErrors.tokenExpired,
  AuthErrors.principalUnknown,
  AuthErrors.forbiddenRole,
  AuthErrors.outsideHours,
  ErrorCodes.rateLimited,
  ErrorCodes.upstreamUnavailable,
];

/** The problem responses of an operation, grouped by the status each code declares. */
export function errorResponses(...codes: ErrorCode[]): Json {
  const byStatus = new Map<number, ErrorCode[]>();
  for (const code of [...COMMON_CODES, ...codes]) {
    const status = errorDefinition(code)?.status;
    if (status === undefined) throw new Error(`OpenAPI names error code ${code}, which no contracts lib declares`);
    if (status === null) continue;
    const list = byStatus.get(status) ?? [];
    if (!list.includes(code)) list.push(code);
    byStatus.set(status, list);
  }
  return Object.fromEntries(
    [...byStatus].sort(([a], [b]) => a - b).map(([status, list]) => [String(status), problemResponse(list.join(', '))]),
  );
}

/** The scheme every operation uses unless it says `security: []` (public). */
export const BEARER_SCHEME = 'bearer';

const securitySchemes: Record<string, Json> = {
  [BEARER_SCHEME]: {
    type: 'http',
    scheme: 'bearer',
    bearerFormat: 'JWT',
    description:
      'An access token from identity (OpenID Connect: authorization code + PKCE for people, client credentials ' +
      'for services), sent as `Authorization: Bearer <token>`. The tenant, roles and attributes are the ' +
      "token subject's (docs/permissions.md); there is no tenant header.",
  },
};

/** An operation served without a token (its `security`). */
export const PUBLIC_SECURITY: readonly Json[] = [];

/** `limit` and `cursor`, as every list takes them (DESIGN §5). */
export const pageParameters: readonly Json[] = [
  { name: 'limit', in: 'query', required: false, schema: { type: 'integer', minimum: 1, maximum: 1000, default: 100 } },
  {
    name: 'cursor',
    in: 'query',
    required: false,
    schema: { type: 'string' },
    description: 'Opaque; take it from the `next` link of the previous page.',
  },
];

const baseSchemas: Record<string, Json> = {
  Problem: {
    type: 'object',
    required: ['type', 'title', 'status', 'code'],
    properties: {
      type: { type: 'string' },
      title: { type: 'string' },
      status: { type: 'integer' },
      code: { type: 'string', description: 'Stable error code, e.g. ASSET.NOT_FOUND (docs/errors.md)' },
      detail: { type: 'string' },
      instance: { type: 'string' },
      errors: {
        type: 'array',
        items: { type: 'object', properties: { path: { type: 'string' }, message: { type: 'string' } } },
      },
    },
  },
  Link: {
    type: 'object',
    required: ['rel', 'href'],
    properties: { rel: { type: 'string' }, href: { type: 'string', format: 'uri' }, type: { type: 'string' } },
  },
  CommandPending: {
    type: 'object',
    required: ['id', 'status', 'correlationId'],
    properties: {
      id: { type: 'string', format: 'uuid' },
      status: { const: 'pending' },
      correlationId: { type: 'string' },
    },
  },
  CommandAccepted: {
    type: 'object',
    required: ['id', 'version'],
    properties: { id: { type: 'string', format: 'uuid' }, version: { type: 'integer' } },
  },
};

/** Version of the HTTP API (info.version): bumped when the API changes, independent of the package. */
export const API_VERSION = '0.5.0';

/** The whole document, from every registered operation and schema. */
export function buildOpenApi(serverUrl: string): Json {
  const paths = Object.fromEntries(
    [...operations]
      .sort(([a], [b]) => a.localeCompare(b))
      .map(([path, byMethod]) => [path, Object.fromEntries([...byMethod].map(([m, build]) => [m, build()]))]),
  );
  const registered = Object.fromEntries([...schemas].map(([name, build]) => [name, build()]));
  return {
    openapi: '3.1.0',
    info: {
      title: 'Meridian API',
      version: API_VERSION,
      description:
        'Geospatial operations: assets, telemetry and spatial queries. Every operation but the public ones needs ' +
        '`Authorization: Bearer <access token>` (Authorize in /docs). Errors are application/problem+json with a ' +
        'stable `code` (docs/errors.md). Lists page with `limit` and an opaque `cursor` from the `next` link.',
    },
    servers: [{ url: serverUrl }],
    security: [{ [BEARER_SCHEME]: [] }],
    paths,
    components: { securitySchemes, schemas: { ...baseSchemas, ...registered } },
  };
}
