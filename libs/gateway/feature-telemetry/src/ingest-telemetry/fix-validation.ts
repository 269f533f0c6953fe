import { z } from 'zod';
import { ErrorCodes } from '@meridian/contracts/core';
import { Fix, TelemetryErrors } from '@meridian/contracts/telemetry';

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

const RFC3339 = /^(\d{4})-(\d{2})-(\d{2})[Tt](\d{2}):(\d{2}):(\d{2})(?:\.(\d+))?(?:[Zz]|([+-])(\d{2}):(\d{2}))$/;

/** The fix schema with `ts` as any string: RFC 3339 (lower-case `t`/`z` too) is checked by normaliseTimestamp. */
const FixInput = Fix.extend({ ts: z.string() });

/**
 * A timestamp in UTC with at most microsecond precision (PostgreSQL's), truncated rather than
 * rounded, so that the day computed from it here is the day partition the row lands in, even for
 * 23:59:59.9999999. Null for anything that is not a real instant (Feb 30, 24:00, leap second 60).
 */
export function normaliseTimestamp(ts: string): { readonly iso: string; readonly epochMs: number } | null {
  const m = RFC3339.exec(ts);
  if (!m) return null;
  const [, y, mo, d, h, mi, s, fraction = '', sign, oh = '00', om = '00'] = m;
  const digits = `${fraction}000000`.slice(0, 6);
  const local = Date.UTC(
    Number(y),
    Number(mo) - 1,
    Number(d),
    Number(h),
    Number(mi),
    Number(s),
    Number(digits.slice(0, 3)),
  );
  const check = new Date(local);
  if (
    check.getUTCFullYear() !== Number(y) ||
    check.getUTCMonth() !== Number(mo) - 1 ||
    check.getUTCDate() !== Number(d) ||
    check.getUTCHours() !== Number(h) ||
    check.getUTCMinutes() !== Number(mi) ||
    check.getUTCSeconds() !== Number(s) ||
    Number(oh) > 23 ||
    Number(om) > 59
  ) {
    return null;
  }
  const offsetMs = (sign === '-' ? -1 : 1) * (Number(oh) * 60 + Number(om)) * 60_000;
  const epochMs = local - (sign ? offsetMs : 0);
  const base = new Date(epochMs).toISOString(); // yyyy-mm-ddThh:mm:ss.mmmZ
  const micros = digits.slice(3);
  return { iso: micros === '000' ? base : `${base.slice(0, -1)}${micros}Z`, epochMs };
}

/**
 * PostgreSQL `real` (float4) refuses values that underflow it; below this a reading is noise, and
 * it is stored as 0 rather than refused.
 */
const REAL_EPSILON = 1e-30;
const asReal = (v: number | undefined): number | undefined => (v !== undefined && Math.abs(v) < REAL_EPSILON ? 0 : v);

/** A heading that float4 would round up to 360 is the same direction as 0. */
const asHeading = (v: number | undefined): number | undefined =>
  v !== undefined && Math.fround(v) >= 360 ? 0 : asReal(v);

const codeOf = (issue: z.core.$ZodIssue): string => {
  const field = issue.path[0];
  if (field === 'lon' || field === 'lat') {
    return issue.code === 'too_big' || issue.code === 'too_small'
      ? TelemetryErrors.fixCoordinatesOutOfRange
      : TelemetryErrors.fixInvalid;
  }
  if (field === 'ts') return TelemetryErrors.fixBadTimestamp;
  return TelemetryErrors.fixInvalid;
};

const badTimestamp = (index: number, detail: string): FixRejection => ({
  index,
  code: TelemetryErrors.fixBadTimestamp,
  detail: `ts: ${detail}`,
});

/**
 * Validates and normalises one fix on its own: a bad fix is reported by index and never stops the
 * good ones. What passes is storable as it is (UTC microsecond timestamp, lower-case asset id,
 * float4-safe readings), so nothing the gateway accepts can be refused by the database later.
 */
export function validateFix(raw: unknown, index: number, window: TimeWindow): Fix | FixRejection {
  const parsed = FixInput.safeParse(raw);
  if (!parsed.success) {
    const issue = parsed.error.issues[0];
    const path = issue?.path.map(String).join('.') || '(fix)';
    return {
      index,
      code: issue ? codeOf(issue) : TelemetryErrors.fixInvalid,
      detail: `${path}: ${issue?.message ?? 'invalid'}`,
    };
  }
  const fix = parsed.data;
  const ts = normaliseTimestamp(fix.ts);
  if (!ts) return badTimestamp(index, `${fix.ts} is not a valid instant`);
  if (ts.epochMs > window.now + window.maxFutureSkewMs) {
    return badTimestamp(index, `more than ${window.maxFutureSkewMs / 1000} s in the future`);
  }
  if (ts.epochMs < window.now - window.maxAgeMs) {
    return badTimestamp(index, `older than ${Math.round(window.maxAgeMs / 86_400_000)} days`);
  }
  const readings = {
    alt: asReal(fix.alt),
    speed: asReal(fix.speed),
    heading: asHeading(fix.heading),
    battery: asReal(fix.battery),
    accuracy: asReal(fix.accuracy),
  };
  const defined = Object.fromEntries(Object.entries(readings).filter(([, v]) => v !== undefined));
  return { assetId: fix.assetId.toLowerCase(), ts: ts.iso, lon: fix.lon, lat: fix.lat, ...defined };
}

export const isRejection = (v: Fix | FixRejection): v is FixRejection => 'code' in v;

export const malformedLine = (index: number, lineNo: number): FixRejection => ({
  index,
  code: ErrorCodes.requestMalformedJson,
  detail: `line ${lineNo} is not JSON`,
});
