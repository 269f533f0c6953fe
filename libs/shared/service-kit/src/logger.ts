import { AsyncLocalStorage } from 'node:async_hooks';
import type { LoggerService } from '@nestjs/common';
import pino, { type Logger } from 'pino';

export interface LogContext {
  readonly correlationId?: string;
  readonly tenantId?: string;
}

/** Carries the correlation id of the request or message being handled into every log line. */
export const logContext = new AsyncLocalStorage<LogContext>();

export function createLogger(service: string, level: string): Logger {
  return pino({
    level,
    base: { service },
    timestamp: pino.stdTimeFunctions.isoTime,
    formatters: { level: (label) => ({ level: label }) },
    mixin: () => ({ ...logContext.getStore() }),
    redact: {
      paths: ['req.headers.authorization', 'headers.authorization', '*.password', '*.token', '*.secret'],
      censor: '[redacted]',
    },
  });
}

/** Nest's own logs go through the same JSON logger. */
export class NestPinoLogger implements LoggerService {
  constructor(private readonly logger: Logger) {}
  log(message: unknown, context?: string): void {
    this.logger.info({ context }, String(message));
  }
  error(message: unknown, trace?: string, context?: string): void {
    this.logger.error({ context, trace }, String(message));
  }
  warn(message: unknown, context?: string): void {
    this.logger.warn({ context }, String(message));
  }
  debug(message: unknown, context?: string): void {
    this.logger.debug({ context }, String(message));
  }
  verbose(message: unknown, context?: string): void {
    this.logger.trace({ context }, String(message));
  }
}

/** Runs the handling of one message with its correlation id and tenant in every log line. */
export const withLogContext = <T>(
  message: { correlationId: string; tenantId?: string },
  work: () => Promise<T>,
): Promise<T> =>
  logContext.run(
    { correlationId: message.correlationId, ...(message.tenantId ? { tenantId: message.tenantId } : {}) },
    work,
  );
