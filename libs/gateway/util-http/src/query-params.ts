import { z } from 'zod';
import { Bbox, ErrorCodes } from '@meridian/contracts/core';
import { invalid, parseOr400 } from './problem';

/** `bbox=minLon,minLat,maxLon,maxLat` (WGS 84). */
export const BboxParam = z
  .string()
  .transform((s, ctx) => {
    const parts = s.split(',').map((p) => (p.trim() === '' ? Number.NaN : Number(p)));
    if (parts.length !== 4 || parts.some((n) => !Number.isFinite(n))) {
      ctx.addIssue({ code: 'custom', message: 'bbox is minLon,minLat,maxLon,maxLat' });
      return z.NEVER;
    }
    return parts;
  })
  .pipe(Bbox);

export const parseBbox = (value: string | undefined): Bbox | undefined =>
  value === undefined ? undefined : parseOr400(BboxParam, value, ErrorCodes.bboxInvalid, 'bbox');

/**
 * A numeric query parameter checked by `schema`: an empty value is refused (`z.coerce.number()`
 * would read `?lon=` as 0), as is anything `Number` does not read as a finite number.
 */
export const numericParam = <S extends z.ZodType<number, number>>(schema: S) =>
  z.string().trim().min(1, 'a number is required').transform(Number).pipe(schema);

/** `from`/`to` of a half-open window `[from, to)`: RFC 3339 with an offset (DESIGN §5). */
export const windowParams = {
  from: z.iso.datetime({ offset: true }).optional(),
  to: z.iso.datetime({ offset: true }).optional(),
};

/** A window whose end is not after its start is refused (400 REQUEST.INVALID). */
export function checkWindow(w: { readonly from?: string; readonly to?: string }): void {
  if (w.from !== undefined && w.to !== undefined && Date.parse(w.to) <= Date.parse(w.from)) {
    throw invalid(ErrorCodes.requestInvalid, `to (${w.to}) must be after from (${w.from})`);
  }
}

/**
 * The version an `If-Match` names: a strong ETag `"<version>"` (the form every versioned resource
 * answers with); absent or `*` → undefined (no precondition). Anything else → 400 REQUEST.INVALID.
 */
export function parseIfMatch(header: string | undefined): number | undefined {
  if (header === undefined || header.trim() === '*') return undefined;
  const m = /^\s*"(\d{1,9})"\s*$/.exec(header);
  if (!m || Number(m[1]) < 1) {
    throw invalid(ErrorCodes.requestInvalid, `If-Match must be a strong ETag such as "3", got ${header}`);
  }
  return Number(m[1]);
}
