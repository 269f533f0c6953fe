import { CodedError, ErrorCodes } from '@meridian/contracts/core';

/**
 * What a failed handler tells the consumer to do, decided here once for every consumer path
 * (`Subscription.run`, `runPipelined`, `runBatch`, `serveRequests`):
 *
 * - `poison`: the message itself breaks the contract (not a CloudEvent, fails its schema, unknown
 *   type: `CONTRACT.VIOLATION`, `REQUEST.INVALID`). Retrying cannot help: dead-letter it at once,
 *   or answer a request with a rejection.
 * - `data`: the message is well-formed but refused: a `CodedError` with any other non-transient
 *   code (a business rejection), or PostgreSQL refusing the row (SQLSTATE class 22 data exception,
 *   23 integrity constraint, 54 program limit such as an oversized index row). Dead-letter it, or
 *   answer with a rejection; a batch is split so only the refused rows are dead-lettered.
 * - `transient`: infrastructure is away (connection refused/reset/closed, timeouts, PostgreSQL
 *   classes 08/40/53/57/58, KafkaJS and Redis client errors, `UPSTREAM.UNAVAILABLE`,
 *   `UPSTREAM.TIMEOUT`, concurrency conflicts). Retried with backoff until it passes, however
 *   long: never dead-lettered, since the message is fine and would be lost for no reason.
 * - `bug`: anything else (TypeError, a plain Error, PostgreSQL syntax/undefined-object errors):
 *   retried a bounded number of times (`maxAttempts`, default 10, about 40 s of backoff) in
 *   case it is a transient failure nobody taught us to recognise, then dead-lettered so one
 *   message cannot stall its partition forever; a replay from the DLQ after the fix recovers it.
 */
export type FailureKind = 'poison' | 'data' | 'transient' | 'bug';

const POISON_CODES: ReadonlySet<string> = new Set([ErrorCodes.contractViolation, ErrorCodes.requestInvalid]);

const TRANSIENT_CODES: ReadonlySet<string> = new Set([
  ErrorCodes.upstreamUnavailable,
  ErrorCodes.upstreamTimeout,
  ErrorCodes.concurrencyConflict,
  ErrorCodes.idempotencyInProgress,
]);

/** Socket and DNS failures as Node reports them (`err.code`). */
const NETWORK_CODES: ReadonlySet<string> = new Set([
  'ECONNREFUSED',
  'ECONNRESET',
  'ECONNABORTED',
  'ETIMEDOUT',
  'EPIPE',
  'EHOSTUNREACH',
  'EHOSTDOWN',
  'ENETUNREACH',
  'ENETDOWN',
  'ENOTFOUND',
  'EAI_AGAIN',
  'EADDRNOTAVAIL',
]);

/** SQLSTATE classes of a server or connection that is away or overloaded; 40 = serialization/deadlock. */
const TRANSIENT_SQLSTATE_CLASSES: ReadonlySet<string> = new Set(['08', '40', '53', '57', '58']);
const DATA_SQLSTATE_CLASSES: ReadonlySet<string> = new Set(['22', '23', '54']);
const TRANSIENT_SQLSTATES: ReadonlySet<string> = new Set([
  '25P03', // idle_in_transaction_session_timeout: the session was closed under us
  '55P03', // lock_not_available (lock_timeout)
  'MR001', // the event store's optimistic-concurrency conflict
]);

/** Client-side messages of pg, pg-pool and ioredis that carry no code. */
const TRANSIENT_MESSAGES: readonly RegExp[] = [
  /Connection terminated/i,
  /connection error and is not queryable/i,
  /timeout exceeded when trying to connect/i,
  /Client was closed and is not queryable/i,
  /server closed the connection unexpectedly/i,
  /Query read timeout/i,
  /Connection is closed/i,
  /Stream isn't writeable/i,
];

const TRANSIENT_NAMES: ReadonlySet<string> = new Set(['TimeoutError', 'AbortError', 'MaxRetriesPerRequestError']);

const isSqlState = (code: string): boolean => /^[0-9A-Z]{5}$/.test(code) && /[0-9]/.test(code);

/** Classifies a handler's failure; see `FailureKind` for the rule and what each kind leads to. */
export function classifyFailure(err: unknown): FailureKind {
  return classify(err, 0);
}

function classify(err: unknown, depth: number): FailureKind {
  if (err === null || typeof err !== 'object') return 'bug';
  const e = err as { code?: unknown; name?: unknown; message?: unknown; cause?: unknown; errors?: unknown };
  const code = typeof e.code === 'string' ? e.code : undefined;
  const name = typeof e.name === 'string' ? e.name : '';
  const message = typeof e.message === 'string' ? e.message : '';

  if (code !== undefined) {
    if (NETWORK_CODES.has(code) || TRANSIENT_CODES.has(code)) return 'transient';
    if (err instanceof CodedError) return POISON_CODES.has(code) ? 'poison' : 'data';
    if (isSqlState(code)) {
      if (TRANSIENT_SQLSTATES.has(code) || TRANSIENT_SQLSTATE_CLASSES.has(code.slice(0, 2))) return 'transient';
      if (DATA_SQLSTATE_CLASSES.has(code.slice(0, 2))) return 'data';
      return 'bug';
    }
  }
  if (name.startsWith('KafkaJS')) return kafkaFailure(err);
  if (TRANSIENT_NAMES.has(name) || TRANSIENT_MESSAGES.some((m) => m.test(message))) return 'transient';

  // A wrapper (AggregateError from a dual-stack connect, an error with a cause) is as transient as what it wraps.
  if (depth < 5) {
    const inner = [...(Array.isArray(e.errors) ? e.errors : []), ...(e.cause !== undefined ? [e.cause] : [])];
    if (inner.some((i) => classify(i, depth + 1) === 'transient')) return 'transient';
  }
  return 'bug';
}

/**
 * KafkaJS errors are infrastructure, except the ones the broker or client will never accept
 * (a record too large, an invalid topic name): those are bugs, retried a bounded number of times.
 */
function kafkaFailure(err: object): FailureKind {
  let root = err as { cause?: unknown; retriable?: unknown; name?: unknown };
  for (let i = 0; i < 5 && root.cause !== null && typeof root.cause === 'object'; i++) root = root.cause as typeof root;
  const neverAccepted = root.retriable === false && root.name !== 'KafkaJSNumberOfRetriesExceeded';
  return neverAccepted ? 'bug' : 'transient';
}

/** A message that can never succeed (not a CloudEvent, fails its schema): goes to the DLQ. */
export const isPoison = (err: unknown): boolean => classifyFailure(err) === 'poison';

/** The error code a dead letter or log line carries: a CodedError's code or a SQLSTATE, else `UNKNOWN`. */
export function failureCode(err: unknown): string {
  const code = (err as { code?: unknown } | null | undefined)?.code;
  return typeof code === 'string' && code.length > 0 ? code : 'UNKNOWN';
}
