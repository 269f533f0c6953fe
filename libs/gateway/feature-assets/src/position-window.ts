import { z } from 'zod';
import { PositionQueryErrors } from '@meridian/contracts/assets';
import { ErrorCodes } from '@meridian/contracts/core';
import { checkWindow, invalid } from '@meridian/gateway/util-http';

const DAY_MS = 86_400_000;

/** `from` (required) and `to` (default: now) of a half-open window over position history. */
export const historyWindowParams = {
  from: z.iso.datetime({ offset: true }),
  to: z.iso.datetime({ offset: true }).optional(),
};

/**
 * The window `[from, to)` a history query reads: `to` defaults to now; an empty or inverted window
 * is 400 REQUEST.INVALID; one longer than `maxDays` is 400 QUERY.WINDOW_TOO_LONG.
 */
export function historyWindow(
  params: { readonly from: string; readonly to?: string },
  maxDays: number,
  now: () => number = Date.now,
): { from: string; to: string } {
  const to = params.to ?? new Date(now()).toISOString();
  checkWindow({ from: params.from, to });
  if (Date.parse(to) - Date.parse(params.from) > maxDays * DAY_MS) {
    throw invalid(PositionQueryErrors.windowTooLong, `the window may be at most ${maxDays} days`);
  }
  return { from: params.from, to };
}

/** Query parameter `bbox` is refused for requests that need one and lack it. */
export const missing = (name: string) => invalid(ErrorCodes.requestInvalid, `${name} is required`);
