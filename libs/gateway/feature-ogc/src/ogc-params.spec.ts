import { describe, expect, it } from '@jest/globals';
import { negotiate } from './negotiation';
import { queryString } from './ogc-links';
import { formatDatetime, parseDatetime, parseLimit, parseOgcBbox, refuseUnknown, single } from './ogc-params';

const codeOf = (f: () => unknown): string => {
  try {
    f();
  } catch (err) {
    return `${(err as { status: number }).status} ${(err as { code: string }).code}`;
  }
  return 'no error';
};

describe('datetime (OGC API – Features: instant, closed and open intervals)', () => {
  it('reads an instant as an interval with equal ends, normalised to UTC', () => {
    expect(parseDatetime('2025-03-01T12:00:00+02:00')).toEqual({
      start: '2025-03-01T10:00:00.000Z',
      end: '2025-03-01T10:00:00.000Z',
    });
  });

  it('keeps microseconds (the store has them) and drops nanoseconds', () => {
    expect(parseDatetime('2025-03-01T10:00:00.123456789Z')?.start).toBe('2025-03-01T10:00:00.123456Z');
  });

  it('reads closed and half-open intervals, `..` or empty for the open end', () => {
    const a = '2025-03-01T00:00:00Z';
    const b = '2025-03-02T00:00:00Z';
    expect(parseDatetime(`${a}/${b}`)).toEqual({ start: '2025-03-01T00:00:00.000Z', end: '2025-03-02T00:00:00.000Z' });
    expect(parseDatetime(`../${b}`)).toEqual({ start: null, end: '2025-03-02T00:00:00.000Z' });
    expect(parseDatetime(`${a}/..`)).toEqual({ start: '2025-03-01T00:00:00.000Z', end: null });
    expect(parseDatetime(`/${b}`)).toEqual({ start: null, end: '2025-03-02T00:00:00.000Z' });
    expect(parseDatetime(`${a}/`)).toEqual({ start: '2025-03-01T00:00:00.000Z', end: null });
  });

  it.each([
    ['not a date', 'nonsense'],
    ['a date without time', '2025-03-01'],
    ['no offset', '2025-03-01T00:00:00'],
    ['open at both ends', '../..'],
    ['end before start', '2025-03-02T00:00:00Z/2025-03-01T00:00:00Z'],
    ['three parts', '2025-03-01T00:00:00Z/2025-03-02T00:00:00Z/2025-03-03T00:00:00Z'],
    ['an impossible day', '2025-02-30T00:00:00Z'],
  ])('refuses %s with 400 OGC.DATETIME_INVALID', (_, value) => {
    expect(codeOf(() => parseDatetime(value))).toBe('400 OGC.DATETIME_INVALID');
  });

  it('formats a parsed filter back into the text links repeat', () => {
    expect(formatDatetime({ start: '2025-03-01T00:00:00.000Z', end: null })).toBe('2025-03-01T00:00:00.000Z/..');
    expect(formatDatetime({ start: 'x', end: 'x' })).toBe('x');
    expect(formatDatetime({ start: null, end: 'y' })).toBe('../y');
  });
});

describe('bbox', () => {
  it('reads four numbers as one envelope, and six (with heights) ignoring the heights', () => {
    expect(parseOgcBbox('5.9,45.8,10.5,47.8')).toEqual([[5.9, 45.8, 10.5, 47.8]]);
    expect(parseOgcBbox('5.9,45.8,0,10.5,47.8,3000')).toEqual([[5.9, 45.8, 10.5, 47.8]]);
  });

  it('splits a box that crosses the antimeridian (min lon > max lon) at ±180', () => {
    expect(parseOgcBbox('177,65,-177,70')).toEqual([
      [177, 65, 180, 70],
      [-180, 65, -177, 70],
    ]);
  });

  it.each([
    ['three numbers', '1,2,3'],
    ['five numbers', '1,2,3,4,5'],
    ['a word', '1,2,x,4'],
    ['an empty part', '1,,3,4'],
    ['latitude beyond 90', '0,-91,1,1'],
    ['longitude beyond 180', '0,0,181,1'],
    ['min lat above max lat', '0,10,1,5'],
  ])('refuses %s with 400 OGC.PARAMETER_INVALID', (_, value) => {
    expect(codeOf(() => parseOgcBbox(value))).toBe('400 OGC.PARAMETER_INVALID');
  });
});

describe('limit, unknown and repeated parameters', () => {
  it('defaults to 10 and lowers a limit above 10,000 to it (OGC: not an error)', () => {
    expect(parseLimit(undefined)).toBe(10);
    expect(parseLimit('250')).toBe(250);
    expect(parseLimit('1000000')).toBe(10_000);
  });

  it.each(['unlimited', '0', '-5', '1.5', ''])('refuses limit=%s with 400', (value) => {
    expect(codeOf(() => parseLimit(value))).toBe('400 OGC.PARAMETER_INVALID');
  });

  it('refuses a parameter the operation does not define, naming it', () => {
    expect(codeOf(() => refuseUnknown({ limit: '1', foo: '2' }, ['limit']))).toBe('400 OGC.PARAMETER_UNKNOWN');
    expect(() => refuseUnknown({ limit: '1' }, ['limit'])).not.toThrow();
  });

  it('takes the last value of a repeated parameter', () => {
    expect(single({ limit: ['10', '10000'] }, 'limit')).toBe('10000');
  });
});

describe('content negotiation and links', () => {
  it('serves HTML to a browser and JSON to everyone else; f= wins', () => {
    const browser = 'text/html,application/xhtml+xml,application/xml;q=0.9,*/*;q=0.8';
    expect(negotiate(undefined, browser)).toBe('html');
    expect(negotiate(undefined, '*/*')).toBe('json');
    expect(negotiate(undefined, undefined)).toBe('json');
    expect(negotiate(undefined, 'application/geo+json, application/json;q=0.9, text/html;q=0.5')).toBe('json');
    expect(negotiate(undefined, 'application/json, text/html')).toBe('json');
    expect(negotiate('json', browser)).toBe('json');
    expect(negotiate('html', 'application/json')).toBe('html');
  });

  it('keeps , : / unencoded in link query strings (clients re-encode what they follow) and encodes the rest', () => {
    expect(queryString({ bbox: '1,2,3,4', datetime: '2025-01-01T00:00:00Z/..', x: undefined, q: 'a b&c+d' })).toBe(
      '?bbox=1,2,3,4&datetime=2025-01-01T00:00:00Z/..&q=a%20b%26c%2Bd',
    );
  });
});
