import type { z } from 'zod';
import { type ErrorCode, errorDefinition, ErrorCodes } from '@meridian/contracts/core';

/** RFC 9457 problem details with Meridian's stable `code`. */
export interface ProblemBody {
  readonly type: string;
  readonly title: string;
  readonly status: number;
  readonly code: string;
  readonly detail?: string;
  readonly instance?: string;
  readonly errors?: readonly { readonly path: string; readonly message: string }[];
  readonly [extra: string]: unknown;
}

export const PROBLEM_CONTENT_TYPE = 'application/problem+json';

export const titleOf = (code: string): string =>
  code
    .split('.')
    .map((p) => p.toLowerCase().replace(/_/g, ' '))
    .join(': ');

export class ProblemException extends Error {
  readonly title: string;

  constructor(
    readonly status: number,
    readonly code: string,
    detail?: string,
    readonly extras: Readonly<Record<string, unknown>> = {},
  ) {
    super(detail ?? titleOf(code));
    this.title = titleOf(code);
  }

  body(instance?: string): ProblemBody {
    return {
      type: `https://docs.meridian.dev/problems/${this.code.toLowerCase().replace(/[._]/g, '-')}`,
      title: this.title,
      status: this.status,
      code: this.code,
      detail: this.message,
      ...(instance ? { instance } : {}),
      ...this.extras,
    };
  }
}

/**
 * A problem for a stable code, with the HTTP status its context declared beside it. A code nobody
 * declared (a newer service's) is a 422: the request was understood and refused.
 */
export function problemFromCode(code: ErrorCode, detail: string, extras?: Record<string, unknown>): ProblemException {
  return new ProblemException(errorDefinition(code)?.status ?? 422, code, detail, extras);
}

export const invalid = (code: ErrorCode, detail: string, errors?: ProblemBody['errors']): ProblemException =>
  new ProblemException(400, code, detail, errors ? { errors } : {});

/** Parses with a zod schema or throws a 400 problem listing every issue. */
export function parseOr400<S extends z.ZodType>(
  schema: S,
  value: unknown,
  code: ErrorCode = ErrorCodes.requestInvalid,
  label = '(body)',
): z.infer<S> {
  const result = schema.safeParse(value);
  if (result.success) return result.data as z.infer<S>;
  const errors = result.error.issues.map((i) => ({ path: i.path.map(String).join('.') || label, message: i.message }));
  throw invalid(code, errors.map((e) => `${e.path}: ${e.message}`).join('; '), errors);
}
