import { ErrorCodes, Fix } from '@meridian/contracts';
import type { z } from 'zod';

export interface FixRejection {
  readonly index: number;
  readonly code: string;
  readonly detail: string;
}

export interface TimeWindow {
  readonly now: number;
  readonly maxAgeMs: number;
  readonly maxFutureSkewMs: number;
}

const codeOf = (issue: z.core.$ZodIssue): string => {
  const field = issue.path[0];
  if (field === 'lon' || field === 'lat') {
    return issue.code === 'too_big' || issue.code === 'too_small' ? ErrorCodes.fixCoordinatesOutOfRange : ErrorCodes.fixInvalid;
  }
  if (field === 'ts') return ErrorCodes.fixBadTimestamp;
  return ErrorCodes.fixInvalid;
};

/** Validates one fix on its own: a bad fix is reported by index and never stops the good ones. */
export function validateFix(raw: unknown, index: number, window: TimeWindow): Fix | FixRejection {
  const parsed = Fix.safeParse(raw);
  if (!parsed.success) {
    const issue = parsed.error.issues[0];
    const path = issue?.path.map(String).join('.') || '(fix)';
    return { index, code: issue ? codeOf(issue) : ErrorCodes.fixInvalid, detail: `${path}: ${issue?.message ?? 'invalid'}` };
  }
  const at = Date.parse(parsed.data.ts);
  if (at > window.now + window.maxFutureSkewMs) {
    return { index, code: ErrorCodes.fixBadTimestamp, detail: `ts: more than ${window.maxFutureSkewMs / 1000} s in the future` };
  }
  if (at < window.now - window.maxAgeMs) {
    return { index, code: ErrorCodes.fixBadTimestamp, detail: `ts: older than ${Math.round(window.maxAgeMs / 86_400_000)} days` };
  }
  return parsed.data;
}

export const isRejection = (v: Fix | FixRejection): v is FixRejection => 'code' in v;
