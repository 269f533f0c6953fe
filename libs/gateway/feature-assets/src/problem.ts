import { type ErrorCode, ErrorCodes } from '@meridian/contracts';
import type { z } from 'zod';

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

export class ProblemException extends Error {
  constructor(
    readonly status: number,
    readonly code: string,
    readonly title: string,
    detail?: string,
    readonly extras: Readonly<Record<string, unknown>> = {},
  ) {
    super(detail ?? title);
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

/** HTTP status of a stable error code coming back from a service. */
const statusOfCode: Readonly<Record<string, number>> = {
  [ErrorCodes.assetAlreadyRegistered]: 409,
  [ErrorCodes.assetNotFound]: 404,
  [ErrorCodes.assetInvalidTransition]: 409,
  [ErrorCodes.assetRetired]: 409,
  [ErrorCodes.concurrencyConflict]: 409,
  [ErrorCodes.tenantInvalid]: 400,
  [ErrorCodes.tenantUnknown]: 404,
  [ErrorCodes.contractViolation]: 400,
  [ErrorCodes.bboxInvalid]: 400,
};

export const problemFromCode = (code: string, detail: string): ProblemException =>
  new ProblemException(statusOfCode[code] ?? 422, code, titleOf(code), detail);

const titleOf = (code: string): string =>
  code
    .split('.')
    .map((p) => p.toLowerCase().replace(/_/g, ' '))
    .join(': ');

export const invalid = (code: ErrorCode, detail: string, errors?: ProblemBody['errors']): ProblemException =>
  new ProblemException(400, code, titleOf(code), detail, errors ? { errors } : {});

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
