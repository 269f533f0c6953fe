import { type ArgumentsHost, Catch, type ExceptionFilter, HttpException, Inject } from '@nestjs/common';
import type { FastifyReply, FastifyRequest } from 'fastify';
import type { Logger } from 'pino';
import { ErrorCodes } from '@meridian/contracts';
import { LOGGER } from '@meridian/shared/service-kit';
import { PROBLEM_CONTENT_TYPE, ProblemException } from './problem';

/** Fastify's own request errors (body parsing, limits, media types) as stable problem codes. */
const fastifyCodes: Readonly<Record<string, { status: number; code: string; title: string }>> = {
  FST_ERR_CTP_INVALID_JSON_BODY: { status: 400, code: ErrorCodes.requestMalformedJson, title: 'request: malformed json' },
  FST_ERR_CTP_EMPTY_JSON_BODY: { status: 400, code: ErrorCodes.requestMalformedJson, title: 'request: malformed json' },
  FST_ERR_CTP_BODY_TOO_LARGE: { status: 413, code: ErrorCodes.requestTooLarge, title: 'request: too large' },
  FST_ERR_CTP_INVALID_MEDIA_TYPE: { status: 415, code: ErrorCodes.requestUnsupportedMediaType, title: 'request: unsupported media type' },
  FST_ERR_CTP_INVALID_CONTENT_LENGTH: { status: 400, code: ErrorCodes.requestInvalid, title: 'request: invalid' },
};

const NETWORK_CODES = new Set(['ECONNREFUSED', 'ECONNRESET', 'ETIMEDOUT', 'EPIPE', 'EHOSTUNREACH']);

/** Kafka, Redis or network failures: the request was fine, a dependency was not (503, not 500). */
function isUnavailable(err: unknown): boolean {
  if (!(err instanceof Error)) return false;
  const code = (err as { code?: unknown }).code;
  return (
    err.name.startsWith('KafkaJS') ||
    err.name === 'MaxRetriesPerRequestError' ||
    (typeof code === 'string' && NETWORK_CODES.has(code)) ||
    /Connection is closed|Stream isn't writeable/.test(err.message)
  );
}

export function toProblem(err: unknown): ProblemException {
  if (err instanceof ProblemException) return err;
  const e = err as { code?: unknown; statusCode?: unknown; message?: unknown };
  if (typeof e.code === 'string' && fastifyCodes[e.code]) {
    const m = fastifyCodes[e.code];
    return new ProblemException(m.status, m.code, m.title, String(e.message ?? m.title));
  }
  if (err instanceof SyntaxError) return new ProblemException(400, ErrorCodes.requestMalformedJson, 'request: malformed json', err.message);
  if (err instanceof HttpException) {
    // Nest re-wraps Fastify's parser errors as HttpException(message, status), dropping their code.
    const status = err.getStatus();
    if (status === 404) return new ProblemException(404, ErrorCodes.requestNotFound, 'request: not found', err.message);
    if (status === 413) return new ProblemException(413, ErrorCodes.requestTooLarge, 'request: too large', err.message);
    if (status === 415) return new ProblemException(415, ErrorCodes.requestUnsupportedMediaType, 'request: unsupported media type', err.message);
    if (status === 400 && /JSON/i.test(err.message)) {
      return new ProblemException(400, ErrorCodes.requestMalformedJson, 'request: malformed json', err.message);
    }
    return new ProblemException(status, status < 500 ? ErrorCodes.requestInvalid : ErrorCodes.internal, err.name, err.message);
  }
  if (isUnavailable(err)) {
    return new ProblemException(503, ErrorCodes.upstreamUnavailable, 'upstream: unavailable', 'a backing service is unreachable; retry shortly');
  }
  if (typeof e.statusCode === 'number' && e.statusCode >= 400 && e.statusCode < 500) {
    return new ProblemException(e.statusCode, ErrorCodes.requestInvalid, 'request: invalid', String(e.message));
  }
  return new ProblemException(500, ErrorCodes.internal, 'internal error', 'the request could not be completed; it was logged');
}

export function sendProblem(reply: FastifyReply, request: FastifyRequest, problem: ProblemException): void {
  void reply.status(problem.status).header('content-type', PROBLEM_CONTENT_TYPE).send(problem.body(request.url));
}

/** Every error leaves the gateway as application/problem+json with a stable code. */
@Catch()
export class ProblemFilter implements ExceptionFilter {
  constructor(@Inject(LOGGER) private readonly logger: Logger) {}

  catch(err: unknown, host: ArgumentsHost): void {
    const http = host.switchToHttp();
    const problem = toProblem(err);
    if (problem.status >= 500) this.logger.error({ err }, 'request failed');
    sendProblem(http.getResponse<FastifyReply>(), http.getRequest<FastifyRequest>(), problem);
  }
}
