import { ErrorCodes } from '@meridian/contracts/core';
import { OGC_LIMIT_DEFAULT, OGC_LIMIT_MAX, type OgcBbox, type OgcDatetime, OgcErrors } from '@meridian/contracts/ogc';
import { invalid } from '@meridian/gateway/util-http';

export type Query = Readonly<Record<string, unknown>>;

/** The CRS of every coordinate /ogc serves or reads (OGC API – Features Part 1 knows no other). */
export const CRS84 = 'http://www.opengis.net/def/crs/OGC/1.3/CRS84';

/** A parameter the operation does not define is a 400 (/req/core/query-param-unknown). */
export function refuseUnknown(query: Query, allowed: readonly string[]): void {
  const unknown = Object.keys(query).filter((k) => !allowed.includes(k));
  if (unknown.length > 0) {
    throw invalid(OgcErrors.parameterUnknown, `unknown query parameter ${unknown.map((k) => `'${k}'`).join(', ')}`);
  }
}

/**
 * One value of a parameter. A repeated one counts with its last value: clients that follow a `next`
 * link and add their own `limit` (the OGC test suite does) mean the one they added.
 */
export function single(query: Query, name: string): string | undefined {
  const value = query[name];
  if (value === undefined) return undefined;
  if (typeof value === 'string') return value;
  if (Array.isArray(value) && value.length > 0 && typeof value[value.length - 1] === 'string') {
    return value[value.length - 1] as string;
  }
  throw invalid(OgcErrors.parameterInvalid, `${name}: not a text value`);
}

/** `limit`: a positive integer, 10 when absent; above the maximum it is lowered to it (OGC: not an error). */
export function parseLimit(value: string | undefined): number {
  if (value === undefined) return OGC_LIMIT_DEFAULT;
  if (!/^\d{1,12}$/.test(value) || Number(value) < 1) {
    throw invalid(OgcErrors.parameterInvalid, `limit: expected a positive integer, got '${value}'`);
  }
  return Math.min(Number(value), OGC_LIMIT_MAX);
}

const NUMBER = /^[+-]?(\d+(\.\d*)?|\.\d+)([eE][+-]?\d+)?$/;

/**
 * `bbox=minLon,minLat,maxLon,maxLat` (or six numbers with heights, which are ignored) in CRS84.
 * min lon > max lon crosses the antimeridian (OGC): it becomes two envelopes, split at ±180.
 */
export function parseOgcBbox(value: string | undefined): OgcBbox | undefined {
  if (value === undefined) return undefined;
  const fail = (why: string) => invalid(OgcErrors.parameterInvalid, `bbox: ${why}, got '${value}'`);
  const parts = value.split(',').map((s) => s.trim());
  if ((parts.length !== 4 && parts.length !== 6) || parts.some((s) => !NUMBER.test(s))) {
    throw fail('expected 4 or 6 comma-separated numbers');
  }
  const n = parts.map(Number);
  const [minLon, minLat, maxLon, maxLat] = parts.length === 4 ? n : [n[0], n[1], n[3], n[4]];
  if ([minLon, maxLon].some((x) => x < -180 || x > 180)) throw fail('longitudes must be within -180..180');
  if ([minLat, maxLat].some((y) => y < -90 || y > 90)) throw fail('latitudes must be within -90..90');
  if (minLat > maxLat) throw fail('the minimum latitude is above the maximum');
  if (minLon <= maxLon) return [[minLon, minLat, maxLon, maxLat]];
  return [
    [minLon, minLat, 180, maxLat],
    [-180, minLat, maxLon, maxLat],
  ];
}

/** `bbox-crs`: only CRS84, the default, is served. */
export function checkBboxCrs(value: string | undefined): void {
  if (value !== undefined && value !== CRS84) {
    throw invalid(OgcErrors.parameterInvalid, `bbox-crs: only ${CRS84} is supported`);
  }
}

const RFC3339 = /^\d{4}-\d{2}-\d{2}[Tt]\d{2}:\d{2}:\d{2}(\.\d{1,9})?([Zz]|[+-]\d{2}:\d{2})$/;

/** An RFC 3339 instant, normalised to UTC with the microseconds it had (Postgres keeps microseconds). */
function instant(text: string, whole: string): string {
  const fail = () =>
    invalid(OgcErrors.datetimeInvalid, `datetime: '${whole}' is not an RFC 3339 instant or interval (start/end)`);
  if (!RFC3339.test(text)) throw fail();
  const [y, mo, d, h, mi, se] = text.split(/[-T:tZz.+]/).map(Number);
  // Date.parse rolls 2025-02-30 over into March: check the calendar first.
  const days = new Date(Date.UTC(y, mo, 0)).getUTCDate();
  if (mo < 1 || mo > 12 || d < 1 || d > days || h > 23 || mi > 59 || se > 59) throw fail();
  const ms = Date.parse(text);
  if (Number.isNaN(ms)) throw fail();
  const fraction = /\.(\d+)/.exec(text)?.[1] ?? '';
  const micros = fraction.padEnd(6, '0').slice(3, 6);
  const base = new Date(ms).toISOString();
  return micros === '000' ? base : `${base.slice(0, -1)}${micros}Z`;
}

/**
 * `datetime`: an instant, or an interval `start/end` where either end may be `..` or empty (open).
 * Both ends of an interval are inclusive (OGC API – Features).
 */
export function parseDatetime(value: string | undefined): OgcDatetime | undefined {
  if (value === undefined) return undefined;
  const parts = value.split('/');
  if (parts.length === 1) {
    const at = instant(value, value);
    return { start: at, end: at };
  }
  if (parts.length !== 2) throw invalid(OgcErrors.datetimeInvalid, `datetime: '${value}' has more than one '/'`);
  const open = (s: string) => s === '' || s === '..';
  if (open(parts[0]) && open(parts[1])) {
    throw invalid(OgcErrors.datetimeInvalid, `datetime: '${value}' is open at both ends`);
  }
  const start = open(parts[0]) ? null : instant(parts[0], value);
  const end = open(parts[1]) ? null : instant(parts[1], value);
  if (start !== null && end !== null && Date.parse(end) < Date.parse(start)) {
    throw invalid(OgcErrors.datetimeInvalid, `datetime: '${value}' ends before it starts`);
  }
  return { start, end };
}

/** The `datetime` text of a parsed filter, as links repeat it. */
export function formatDatetime(d: OgcDatetime): string {
  if (d.start !== null && d.start === d.end) return d.start;
  return `${d.start ?? '..'}/${d.end ?? '..'}`;
}

/** `f=json|html` overrides the Accept header. */
export type Format = 'json' | 'html';

export function parseFormat(value: string | undefined): Format | undefined {
  if (value === undefined) return undefined;
  if (value === 'json' || value === 'html') return value;
  throw invalid(OgcErrors.parameterInvalid, `f: expected json or html, got '${value}'`);
}

/** A cursor's `after` is `n:<key>` (the page after the key) or `p:<key>` (the page before it). */
export function splitCursorKey(after: string): { key: string; direction: 'next' | 'prev' } {
  const m = /^([np]):(.+)$/.exec(after);
  if (!m) throw invalid(ErrorCodes.cursorInvalid, 'cursor: not a cursor of this query; follow the links as given');
  return { key: m[2], direction: m[1] === 'n' ? 'next' : 'prev' };
}
