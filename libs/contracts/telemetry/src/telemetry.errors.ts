import { defineErrors } from '@meridian/contracts/core';

const perFix = { status: null, statusNote: 'per fix' } as const;

export const TelemetryErrors = defineErrors({
  fixInvalid: {
    code: 'TELEMETRY.FIX_INVALID',
    ...perFix,
    description:
      'The fix is not an object of the fix schema (unknown field, wrong type, `speed`, `heading`, `alt`, `battery` ' +
      'or `accuracy` out of range).',
  },
  fixCoordinatesOutOfRange: {
    code: 'TELEMETRY.COORDINATES_OUT_OF_RANGE',
    ...perFix,
    description: '`lon` outside −180…180 or `lat` outside −90…90.',
  },
  fixBadTimestamp: {
    code: 'TELEMETRY.BAD_TIMESTAMP',
    ...perFix,
    description:
      '`ts` is not an RFC 3339 date-time with offset, is more than `GATEWAY_MAX_FIX_FUTURE_SKEW_S` (default 300 s) ' +
      'in the future, or older than `GATEWAY_MAX_FIX_AGE_DAYS` (default 30 days).',
  },
  fixTooManyFixes: {
    code: 'TELEMETRY.TOO_MANY_FIXES',
    status: 413,
    description: 'More than `GATEWAY_MAX_FIXES_PER_REQUEST` (default 10,000) fixes in one request.',
  },
});
