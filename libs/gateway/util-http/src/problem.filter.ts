import { type ArgumentsHost, Catch, type ExceptionFilter, HttpException, Inject } from '@nestjs/common';
import type { FastifyReply, FastifyRequest } from 'fastify';
import type { Logger } from 'pino';
import { CodedError, type ErrorCode, ErrorCodes } from '@meridian/contracts/core';
import { LOGGER } from '@meridian/shared/service-kit';
import { PROBLEM_CONTENT_TYPE, ProblemException, problemFromCode } from './problem';
import { refusals } from './refusals';

/** Fastify's own request errors (body parsing, limits, media types) as stable problem codes. */
const fastifyCodes: Readonly<Record<string, ErrorCode>> = {
  FST_ERR_CTP_INVALID_JSON_BODY: ErrorCodes.requestMalformedJson,
  FST_ERR_CTP_EMPTY_JSON_BODY: ErrorCodes.requestMalformedJson,
  FST_ERR_CTP_BODY_TOO_LARGE: ErrorCodes.requestTooLarge,
  FST_ERR_CTP_INVALID_MEDIA_TYPE: ErrorCodes.requestUnsupportedMediaType,
  FST_ERR_CTP_INVALID_CONTENT_LENGTH: ErrorCodes.requestInvalid,
};

/** Nest re-wraps Fastify's parser errors as HttpException(message, status), dropping their code. */
const httpStatusCodes: Readonly<Record<number, ErrorCode>> = {
  404: ErrorCodes.requestNotFound,
  413: ErrorCodes.requestTooLarge,
  415: ErrorCodes.requestUnsupportedMediaType,
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
  if (err instanceof CodedError) return problemFromCode(err.code, err.message);
  const e = err as { code?: unknown; statusCode?: unknown; message?: unknown };
  if (typeof e.code === 'string' && fastifyCodes[e.code])
    return problemFromCode(fastifyCodes[e.code], String(e.message));
  if (err instanceof SyntaxError) return problemFromCode(ErrorCodes.requestMalformedJson, err.message);
  if (err instanceof HttpException) {
    const status = err.getStatus();
    const code = httpStatusCodes[status];
    if (code) return problemFromCode(code, err.message);
    if (status === 400 && /JSON/i.test(err.message))
      return problemFromCode(ErrorCodes.requestMalformedJson, err.message);
    return new ProblemException(status, status < 500 ? ErrorCodes.requestInvalid : ErrorCodes.internal, err.message);
  }
  if (isUnavailable(err)) {
    return problemFromCode(ErrorCodes.upstreamUnavailable, 'a backing service is unreachable; retry shortly');
  }
  if (typeof e.statusCode === 'number' && e.statusCode >= 400 && e.statusCode < 500) {
    return new ProblemException(e.statusCode, ErrorCodes.requestInvalid, String(e.message));
  }
  return problemFromCode(ErrorCodes.internal, 'the request could not be completed; it was logged');
}

export function sendProblem(reply: FastifyReply, request: FastifyRequest, problem: ProblemException): void {
  refusals.record(problem.status, problem.code, request);
  void reply.status(problem.status).header('content-type', PROBLEM_CONTENT_TYPE).send(problem.body(request.url));
}

/** Every error leaves the gateway as application/problem+json with a stable code. */
@Catch()
export class ProblemFilter implements ExceptionFilter {
  constructor(@Inject(LOGGER) private readonly logger: Logger) {}

  catch(err: unknown, host: ArgumentsHost): void {
    const http = host.switchToHttp();
    const problem = toProblem(err);
    if (problem.status >= 500 && problem.code === ErrorCodes.internal) this.logger.error({ err }, 'request failed');
    sendProblem(http.getResponse<FastifyReply>(), http.getRequest<FastifyRequest>(), problem);
  }
}
