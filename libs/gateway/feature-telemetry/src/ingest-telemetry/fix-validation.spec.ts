import { describe, expect, it } from '@jest/globals';
import { type FixRejection, isRejection, normaliseTimestamp, validateFix } from './fix-validation';

const DAY_MS = 86_400_000;
const now = Date.parse('2025-03-10T12:00:00Z');
const window = { now, maxAgeMs: 30 * DAY_MS, maxFutureSkewMs: 300_000 };
const asset = '0190d5a2-0000-7000-8000-00000000000a';
const base = { assetId: asset, ts: '2025-03-10T11:00:00Z', lon: 8, lat: 47 };

const BAD_TIMESTAMP = 'TELEMETRY.BAD_TIMESTAMP';
const FIX_INVALID = 'TELEMETRY.FIX_INVALID';
const OUT_OF_RANGE = 'TELEMETRY.COORDINATES_OUT_OF_RANGE';

const accept = (raw: unknown): Exclude<ReturnType<typeof validateFix>, FixRejection> => {
  const result = validateFix(raw, 0, window);
  if (isRejection(result)) throw new Error(`refused: ${result.code} ${result.detail}`);
  return result;
};
const codeOf = (raw: unknown, index = 0): string | null => {
  const result = validateFix(raw, index, window);
  return isRejection(result) ? result.code : null;
};

describe('normaliseTimestamp', () => {
  it.each([
    ['Z', '2025-03-10T12:00:00Z', '2025-03-10T12:00:00.000Z'],
    ['lower-case z and t', '2025-03-10t12:00:00z', '2025-03-10T12:00:00.000Z'],
    ['+01:00', '2025-03-10T13:00:00+01:00', '2025-03-10T12:00:00.000Z'],
    ['-05:30', '2025-03-10T06:30:00-05:30', '2025-03-10T12:00:00.000Z'],
    ['-00:00', '2025-03-10T12:00:00-00:00', '2025-03-10T12:00:00.000Z'],
    ['+14:00', '2025-03-11T02:00:00+14:00', '2025-03-10T12:00:00.000Z'],
    ['+01:00 crossing back to the previous day', '2025-03-11T00:30:00+01:00', '2025-03-10T23:30:00.000Z'],
    ['-05:00 crossing into the next day', '2025-03-10T19:00:00-05:00', '2025-03-11T00:00:00.000Z'],
    ['+01:00 crossing back to the previous year', '2025-01-01T00:59:59.999999+01:00', '2024-12-31T23:59:59.999999Z'],
    ['a leap day', '2024-02-29T12:00:00Z', '2024-02-29T12:00:00.000Z'],
    ['a leap day of a century divisible by 400', '2000-02-29T00:00:00Z', '2000-02-29T00:00:00.000Z'],
  ])('converts an instant with offset %s to UTC', (_name, input, iso) => {
    const result = normaliseTimestamp(input);
    expect(result).toEqual({ iso, epochMs: Date.parse(iso) });
  });

  it.each([
    ['no fraction', '2025-03-10T12:00:00Z', '2025-03-10T12:00:00.000Z'],
    ['tenths', '2025-03-10T12:00:00.1Z', '2025-03-10T12:00:00.100Z'],
    ['milliseconds', '2025-03-10T12:00:00.123Z', '2025-03-10T12:00:00.123Z'],
    ['four digits', '2025-03-10T12:00:00.1234Z', '2025-03-10T12:00:00.123400Z'],
    ['microseconds', '2025-03-10T12:00:00.123456Z', '2025-03-10T12:00:00.123456Z'],
    ['one microsecond', '2025-03-10T12:00:00.000001Z', '2025-03-10T12:00:00.000001Z'],
    ['nanoseconds, truncated', '2025-03-10T12:00:00.123456789Z', '2025-03-10T12:00:00.123456Z'],
    ['less than a microsecond, truncated to zero', '2025-03-10T12:00:00.0000009Z', '2025-03-10T12:00:00.000Z'],
    ['25 digits', '2025-03-10T12:00:00.9876543210987654321098765Z', '2025-03-10T12:00:00.987654Z'],
    ['the last instant of a day, not rounded up', '2025-03-09T23:59:59.9999999Z', '2025-03-09T23:59:59.999999Z'],
    ['the last instant of a day, with offset', '2025-03-10T05:29:59.999999999+05:30', '2025-03-09T23:59:59.999999Z'],
  ])('keeps at most microseconds, truncating: %s', (_name, input, iso) => {
    const result = normaliseTimestamp(input);
    expect(result?.iso).toBe(iso);
    expect(result?.epochMs).toBe(Date.parse(iso));
    // The day of the normalised instant is the day partition the row lands in.
    expect(result?.iso.slice(0, 10)).toBe(iso.slice(0, 10));
  });

  it.each([
    ['February 30', '2025-02-30T12:00:00Z'],
    ['February 29 of a common year', '2025-02-29T12:00:00Z'],
    ['February 29 of a century not divisible by 400', '2100-02-29T12:00:00Z'],
    ['April 31', '2025-04-31T12:00:00Z'],
    ['day 0', '2025-03-00T12:00:00Z'],
    ['month 0', '2025-00-10T12:00:00Z'],
    ['month 13', '2025-13-10T12:00:00Z'],
    ['24:00', '2025-03-10T24:00:00Z'],
    ['hour 25', '2025-03-10T25:00:00Z'],
    ['minute 60', '2025-03-10T12:60:00Z'],
    ['a leap second', '2016-12-31T23:59:60Z'],
    ['offset +24:00', '2025-03-10T12:00:00+24:00'],
    ['offset minutes 60', '2025-03-10T12:00:00+05:60'],
    ['year 0000', '0000-01-01T00:00:00Z'],
    ['no offset', '2025-03-10T12:00:00'],
    ['a space for T', '2025-03-10 12:00:00Z'],
    ['no seconds', '2025-03-10T12:00Z'],
    ['an empty fraction', '2025-03-10T12:00:00.Z'],
    ['a date only', '2025-03-10'],
    ['surrounding spaces', ' 2025-03-10T12:00:00Z '],
    ['words', 'yesterday'],
    ['nothing', ''],
  ])('refuses what is not a real instant: %s', (_name, input) => {
    expect(normaliseTimestamp(input)).toBeNull();
  });
});

describe('validateFix', () => {
  it('normalises a fix: UTC microsecond timestamp, lower-case asset id, readings kept', () => {
    const fix = accept({
      assetId: asset.toUpperCase(),
      ts: '2025-03-10T13:00:00.123456789+01:00',
      lon: 8.5,
      lat: 47.25,
      alt: 420.5,
      speed: 12,
      heading: 90,
      battery: 55,
      accuracy: 3,
    });
    expect(fix).toEqual({
      assetId: asset,
      ts: '2025-03-10T12:00:00.123456Z',
      lon: 8.5,
      lat: 47.25,
      alt: 420.5,
      speed: 12,
      heading: 90,
      battery: 55,
      accuracy: 3,
    });
  });

  it('leaves readings that were not sent absent, not undefined', () => {
    expect(Object.keys(accept(base)).sort()).toEqual(['assetId', 'lat', 'lon', 'ts']);
  });

  it.each([
    ['Z', '2025-03-10T11:00:00Z', '2025-03-10T11:00:00.000Z'],
    ['+01:00', '2025-03-10T12:00:00+01:00', '2025-03-10T11:00:00.000Z'],
    ['-05:30', '2025-03-10T05:30:00-05:30', '2025-03-10T11:00:00.000Z'],
    ['-00:00', '2025-03-10T11:00:00-00:00', '2025-03-10T11:00:00.000Z'],
    ['nanoseconds', '2025-03-10T11:00:00.999999999Z', '2025-03-10T11:00:00.999999Z'],
    ['the last instant of a day', '2025-03-09T23:59:59.9999999Z', '2025-03-09T23:59:59.999999Z'],
  ])('accepts and normalises a timestamp with %s', (_name, ts, iso) => {
    expect(accept({ ...base, ts }).ts).toBe(iso);
  });

  // RFC 3339 §5.6 (note): "T" and "Z" may alternatively be lower case; normaliseTimestamp handles them.
  it.each([
    ['lower-case z', '2025-03-10T11:00:00z'],
    ['lower-case t and z', '2025-03-10t11:00:00.5z'],
  ])('accepts an RFC 3339 timestamp with %s', (_name, ts) => {
    expect(accept({ ...base, ts }).ts).toBe(normaliseTimestamp(ts)?.iso);
  });

  it.each([
    ['February 30', '2025-02-30T11:00:00Z'],
    ['24:00', '2025-03-09T24:00:00Z'],
    ['a leap second', '2025-03-09T23:59:60Z'],
    ['month 13', '2025-13-01T11:00:00Z'],
    ['offset +24:00', '2025-03-10T11:00:00+24:00'],
    ['an offset without colon (ISO 8601 basic, not RFC 3339)', '2025-03-10T11:00:00+0000'],
    ['an hour-only offset', '2025-03-10T11:00:00+01'],
    ['no offset', '2025-03-10T11:00:00'],
    ['epoch milliseconds', now],
    ['null', null],
    ['words', 'now'],
  ])('refuses ts as %s with TELEMETRY.BAD_TIMESTAMP, by index', (_name, ts) => {
    const result = validateFix({ ...base, ts }, 7, window);
    expect(result).toMatchObject({ index: 7, code: BAD_TIMESTAMP });
    expect((result as FixRejection).detail).toMatch(/^ts: /);
  });

  it('refuses a fix without ts with TELEMETRY.BAD_TIMESTAMP', () => {
    expect(codeOf({ assetId: asset, lon: 8, lat: 47 })).toBe(BAD_TIMESTAMP);
  });

  it('accepts fixes up to the age limit and refuses older ones', () => {
    const oldest = new Date(now - window.maxAgeMs).toISOString();
    expect(accept({ ...base, ts: oldest }).ts).toBe(oldest);
    expect(codeOf({ ...base, ts: new Date(now - window.maxAgeMs - 1).toISOString() })).toBe(BAD_TIMESTAMP);
    expect(codeOf({ ...base, ts: '2024-03-10T12:00:00Z' })).toBe(BAD_TIMESTAMP);
  });

  it('accepts fixes up to the future skew and refuses later ones', () => {
    const latest = new Date(now + window.maxFutureSkewMs).toISOString();
    expect(accept({ ...base, ts: latest }).ts).toBe(latest);
    expect(codeOf({ ...base, ts: new Date(now + window.maxFutureSkewMs + 1).toISOString() })).toBe(BAD_TIMESTAMP);
    // The same instant spelled with an offset is judged by its instant, not by its digits.
    expect(codeOf({ ...base, ts: '2025-03-10T13:04:00+01:00' })).toBeNull();
    expect(codeOf({ ...base, ts: '2025-03-10T07:06:00-05:00' })).toBe(BAD_TIMESTAMP);
  });

  it('lower-cases an upper-case asset id', () => {
    expect(accept({ ...base, assetId: '0190D5A2-0000-7000-8000-00000000000A' }).assetId).toBe(asset);
  });

  it.each([
    ['alt', 1e-320],
    ['alt', -1e-320],
    ['speed', 1e-320],
    ['heading', 5e-324],
    ['battery', 1e-40],
    ['accuracy', 1e-31],
  ])('stores a reading %s of %d, which float4 cannot hold, as 0', (field, value) => {
    const fix = accept({ ...base, [field]: value });
    expect(Object.is((fix as Record<string, unknown>)[field], 0)).toBe(true);
  });

  it('stores a heading that float4 would round up to 360 as 0 (the same direction), and keeps 359.99', () => {
    expect(accept({ ...base, heading: 359.99999999 }).heading).toBe(0);
    expect(accept({ ...base, heading: 359.99 }).heading).toBe(359.99);
  });

  it('keeps small readings that float4 holds', () => {
    expect(accept({ ...base, alt: 1e-29, speed: 1e-20, heading: 1e-10 })).toMatchObject({
      alt: 1e-29,
      speed: 1e-20,
      heading: 1e-10,
    });
  });

  it('keeps tiny coordinates (stored as float8)', () => {
    expect(accept({ ...base, lon: 5e-324, lat: -1e-320 })).toMatchObject({ lon: 5e-324, lat: -1e-320 });
  });

  it.each([
    ['lat 90', { lat: 90 }],
    ['lat -90', { lat: -90 }],
    ['lon 180', { lon: 180 }],
    ['lon -180', { lon: -180 }],
    ['the corners', { lon: -180, lat: 90 }],
    ['alt -1000', { alt: -1000 }],
    ['alt 100000', { alt: 100000 }],
    ['heading 0', { heading: 0 }],
    ['heading 359.999', { heading: 359.999 }],
    ['speed 0', { speed: 0 }],
    ['speed 1000', { speed: 1000 }],
    ['battery 0', { battery: 0 }],
    ['battery 100', { battery: 100 }],
    ['accuracy 0', { accuracy: 0 }],
    ['accuracy 100000', { accuracy: 100000 }],
  ])('keeps an extreme legal value: %s', (_name, values) => {
    expect(accept({ ...base, ...values })).toMatchObject(values);
  });

  it.each([
    ['lat 90.000001', { lat: 90.000001 }, OUT_OF_RANGE],
    ['lat -91', { lat: -91 }, OUT_OF_RANGE],
    ['lon 180.0000001', { lon: 180.0000001 }, OUT_OF_RANGE],
    ['lon -181', { lon: -181 }, OUT_OF_RANGE],
    ['lon 1e308', { lon: 1e308 }, OUT_OF_RANGE],
    ['lon Infinity', { lon: Infinity }, FIX_INVALID],
    ['lat NaN', { lat: Number.NaN }, FIX_INVALID],
    ['lon as a string', { lon: '8' }, FIX_INVALID],
    ['lat null', { lat: null }, FIX_INVALID],
    ['lon missing', { lon: undefined }, FIX_INVALID],
    ['alt -1000.1', { alt: -1000.1 }, FIX_INVALID],
    ['alt 100000.1', { alt: 100000.1 }, FIX_INVALID],
    ['heading 360', { heading: 360 }, FIX_INVALID],
    ['heading -0.001', { heading: -0.001 }, FIX_INVALID],
    ['speed -1', { speed: -1 }, FIX_INVALID],
    ['speed 1000.5', { speed: 1000.5 }, FIX_INVALID],
    ['battery 100.01', { battery: 100.01 }, FIX_INVALID],
    ['battery -0.01', { battery: -0.01 }, FIX_INVALID],
    ['accuracy -1', { accuracy: -1 }, FIX_INVALID],
    ['accuracy 100001', { accuracy: 100001 }, FIX_INVALID],
    ['speed "NaN"', { speed: 'NaN' }, FIX_INVALID],
    ['battery as an object', { battery: { value: 50 } }, FIX_INVALID],
    ['an unknown field', { extra: 1 }, FIX_INVALID],
    ['an asset id that is not a uuid', { assetId: 'asset-1' }, FIX_INVALID],
    ['an asset id in braces', { assetId: `{${asset}}` }, FIX_INVALID],
  ])('refuses %s with the right code', (_name, values, code) => {
    expect(validateFix({ ...base, ...values }, 3, window)).toMatchObject({ index: 3, code });
  });

  it.each([
    ['a string', 'fix'],
    ['null', null],
    ['a number', 42],
    ['an array', [base]],
    ['an empty object', {}],
  ])('refuses a fix that is %s with TELEMETRY.FIX_INVALID', (_name, raw) => {
    expect(codeOf(raw)).toBe(FIX_INVALID);
  });
});
