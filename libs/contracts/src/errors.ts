/**
 * Stable error codes. They cross process boundaries (rejection replies, problem+json `code`),
 * so a code, once published, keeps its meaning forever.
 */
export const ErrorCodes = {
  requestMalformedJson: 'REQUEST.MALFORMED_JSON',
  requestInvalid: 'REQUEST.INVALID',
  requestTooLarge: 'REQUEST.TOO_LARGE',
  requestUnsupportedMediaType: 'REQUEST.UNSUPPORTED_MEDIA_TYPE',
  requestNotFound: 'REQUEST.NOT_FOUND',
  tenantUnknown: 'TENANT.UNKNOWN',
  tenantInvalid: 'TENANT.INVALID',
  tenantAlreadyRegistered: 'TENANT.ALREADY_REGISTERED',
  assetAlreadyRegistered: 'ASSET.ALREADY_REGISTERED',
  assetNotFound: 'ASSET.NOT_FOUND',
  assetUnknown: 'ASSET.UNKNOWN',
  assetInvalidTransition: 'ASSET.INVALID_TRANSITION',
  assetRetired: 'ASSET.RETIRED',
  fixInvalid: 'TELEMETRY.FIX_INVALID',
  fixCoordinatesOutOfRange: 'TELEMETRY.COORDINATES_OUT_OF_RANGE',
  fixBadTimestamp: 'TELEMETRY.BAD_TIMESTAMP',
  fixTooManyFixes: 'TELEMETRY.TOO_MANY_FIXES',
  bboxInvalid: 'QUERY.BBOX_INVALID',
  idempotencyKeyInvalid: 'IDEMPOTENCY.KEY_INVALID',
  idempotencyKeyReused: 'IDEMPOTENCY.KEY_REUSED',
  idempotencyInProgress: 'IDEMPOTENCY.IN_PROGRESS',
  upstreamTimeout: 'UPSTREAM.TIMEOUT',
  upstreamUnavailable: 'UPSTREAM.UNAVAILABLE',
  concurrencyConflict: 'STREAM.CONCURRENCY_CONFLICT',
  contractViolation: 'CONTRACT.VIOLATION',
  internal: 'INTERNAL',
} as const;

export type ErrorCode = (typeof ErrorCodes)[keyof typeof ErrorCodes];

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
