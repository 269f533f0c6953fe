/**
 * Stable error codes. They cross process boundaries (rejection replies, problem+json `code`), so a
 * code, once published, keeps its meaning forever. Each bounded context declares its own codes in
 * its contracts lib with `defineErrors`, each beside its HTTP status: the gateway's problem filter,
 * the OpenAPI generator and `docs/errors.md` all read them from the registry filled here.
 */
export type ErrorCode = string;

export interface ErrorDefinition {
  readonly code: ErrorCode;
  /** HTTP status of a problem with this code; `null` for codes that only appear per item (e.g. per fix). */
  readonly status: number | null;
  /** One sentence for docs/errors.md: when the code is given and what to do about it. */
  readonly description: string;
  /** How the status column of docs/errors.md reads when the status alone would mislead. */
  readonly statusNote?: string;
}

type Definitions = Readonly<Record<string, Omit<ErrorDefinition, 'code'> & { readonly code: string }>>;

const registry = new Map<ErrorCode, ErrorDefinition>();

/**
 * Declares the codes of one context; returns `{ name: code }` for use in code. Declaring a code
 * twice with another status is a programming error and throws at import time.
 */
export function defineErrors<const D extends Definitions>(definitions: D): { readonly [K in keyof D]: D[K]['code'] } {
  const codes: Record<string, string> = {};
  for (const [name, definition] of Object.entries(definitions)) {
    const existing = registry.get(definition.code);
    if (existing && existing.status !== definition.status) {
      throw new Error(`error code ${definition.code} declared twice with different statuses`);
    }
    registry.set(definition.code, definition);
    codes[name] = definition.code;
  }
  return codes as { readonly [K in keyof D]: D[K]['code'] };
}

/** The declaration of a code, if its context's contracts were loaded. */
export const errorDefinition = (code: ErrorCode): ErrorDefinition | undefined => registry.get(code);

/** Every declared code, sorted by code. */
export const errorDefinitions = (): readonly ErrorDefinition[] =>
  [...registry.values()].sort((a, b) => a.code.localeCompare(b.code));

/** A rejection that carries a stable code across the whole system. */
export class CodedError extends Error {
  constructor(
    readonly code: ErrorCode,
    message: string,
    readonly details?: Readonly<Record<string, unknown>>,
  ) {
    super(message);
    this.name = 'CodedError';
  }
}

/** Codes of the platform itself: HTTP requests, idempotency, upstream services, the Kafka contract. */
export const ErrorCodes = defineErrors({
  requestMalformedJson: {
    code: 'REQUEST.MALFORMED_JSON',
    status: 400,
    statusNote: '400; per fix for NDJSON',
    description:
      'The body is not valid JSON (or is empty where JSON is required). In an NDJSON telemetry body, a line that is ' +
      'not JSON is rejected on its own: its `index` counts fixes (blank lines are skipped and not counted) and its ' +
      '`detail` names the line (`line 7 is not JSON`).',
  },
  requestInvalid: {
    code: 'REQUEST.INVALID',
    status: 400,
    description:
      'The request does not match its schema: unknown field, missing field, wrong type or value, an id that is not ' +
      'a UUID, a `limit` outside 1–1,000, an unknown query parameter. `errors` lists every problem. A service ' +
      'answers a request with this code when PostgreSQL refuses its data (SQLSTATE class 22 or 23).',
  },
  requestTooLarge: {
    code: 'REQUEST.TOO_LARGE',
    status: 413,
    description:
      'The body exceeds `GATEWAY_BODY_LIMIT_BYTES` (default 8 MiB) as sent, or `GATEWAY_DECOMPRESSED_LIMIT_BYTES` ' +
      '(default 64 MiB) once decompressed; a JSON body is parsed whole, so it is also held to the first limit ' +
      'after decompression. An NDJSON line longer than 1 MiB is refused the same way.',
  },
  requestEncodingInvalid: {
    code: 'REQUEST.ENCODING_INVALID',
    status: 400,
    description:
      'The body does not decode with its `Content-Encoding`: a `gzip` body that is corrupt, truncated or not gzip ' +
      'at all. Nothing of the request was used.',
  },
  requestUnsupportedMediaType: {
    code: 'REQUEST.UNSUPPORTED_MEDIA_TYPE',
    status: 415,
    description:
      'A POST/PUT/PATCH whose `Content-Type` is not one the operation consumes (`application/json`; ' +
      '`application/x-ndjson` too for telemetry), or whose `Content-Encoding` is not `gzip` or `identity`.',
  },
  requestNotFound: { code: 'REQUEST.NOT_FOUND', status: 404, description: 'No such route.' },
  requestPreconditionFailed: {
    code: 'REQUEST.PRECONDITION_FAILED',
    status: 412,
    description: 'The `If-Match` version is not the current version of the resource.',
  },
  cursorInvalid: {
    code: 'QUERY.CURSOR_INVALID',
    status: 400,
    description:
      'The `cursor` of a list request was not issued by this API for the same query (take `next` links as they are).',
  },
  bboxInvalid: {
    code: 'QUERY.BBOX_INVALID',
    status: 400,
    description:
      '`bbox` is not `minLon,minLat,maxLon,maxLat` within WGS 84 bounds with min ≤ max. Only for `bbox`: other bad ' +
      'parameters (e.g. `limit`) are `REQUEST.INVALID`.',
  },
  idempotencyKeyInvalid: {
    code: 'IDEMPOTENCY.KEY_INVALID',
    status: 400,
    description: '`Idempotency-Key` is not 1–200 characters of `[A-Za-z0-9_.:-]`.',
  },
  idempotencyKeyReused: {
    code: 'IDEMPOTENCY.KEY_REUSED',
    status: 422,
    description:
      'The key was used before with a different request body (detected while the gateway’s Redis holds the key, 24 h).',
  },
  idempotencyInProgress: {
    code: 'IDEMPOTENCY.IN_PROGRESS',
    status: 409,
    description: 'A request with this key is still being processed.',
  },
  upstreamTimeout: {
    code: 'UPSTREAM.TIMEOUT',
    status: 504,
    description:
      'A service did not answer a query within `GATEWAY_QUERY_TIMEOUT_MS`. A command that times out is not an ' +
      'error: it is answered `202` with `"status": "pending"`.',
  },
  upstreamUnavailable: {
    code: 'UPSTREAM.UNAVAILABLE',
    status: 503,
    description:
      'The gateway cannot do its part right now: Kafka did not acknowledge in time or its send queue is full, a ' +
      'Kafka, Redis or network call failed, or the tenant directory is still loading. Retry later; retrying ' +
      'telemetry is safe.',
  },
  rateLimited: {
    code: 'RATE.LIMITED',
    status: 429,
    description:
      'The tenant sent more than its share: telemetry ingest is limited per tenant in fixes (not requests), ' +
      '`GATEWAY_INGEST_RATE_FIXES_PER_S` (default 100,000) with bursts up to `GATEWAY_INGEST_BURST_FIXES` ' +
      '(default 200,000). Nothing of the request was used; retry after `Retry-After` seconds.',
  },
  concurrencyConflict: {
    code: 'STREAM.CONCURRENCY_CONFLICT',
    status: 409,
    description:
      'Optimistic concurrency failed on an event stream. The decider runtime retries conflicts itself, so clients ' +
      'rarely see it.',
  },
  contractViolation: {
    code: 'CONTRACT.VIOLATION',
    status: 400,
    description:
      'A message broke the Kafka contract: not a CloudEvent, no `correlation-id`, data failing its schema, unknown ' +
      'type. It is the `meridian-error-code` of a dead letter or the code of a rejection reply.',
  },
  internal: {
    code: 'INTERNAL',
    status: 500,
    description: 'An unexpected error. It is logged with the correlation id; the response says nothing more.',
  },
});
