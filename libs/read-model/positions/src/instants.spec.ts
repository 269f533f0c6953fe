import { describe, expect, it } from '@jest/globals';
import { isoMicros, utcInstant } from './instants';
import { trackFeature } from './position.queries';
import { epochMicros } from './positions.writes';

describe('instants at microsecond precision', () => {
  it.each([
    ['2026-11-30T23:59:59.999999Z', '2026-11-30T23:59:59.999999Z'],
    ['2026-11-30T14:02:00Z', '2026-11-30T14:02:00.000Z'],
    ['2026-11-30T14:02:00.123Z', '2026-11-30T14:02:00.123Z'],
    ['2026-11-30T15:02:00.000001+01:00', '2026-11-30T14:02:00.000001Z'],
    ['2026-12-01T00:00:00.000500+00:00', '2026-12-01T00:00:00.000500Z'],
  ])('%s is %s in UTC', (text, utc) => {
    expect(utcInstant(text)).toBe(utc);
    expect(epochMicros(isoMicros(epochMicros(text)))).toBe(epochMicros(text));
  });

  it('a track keeps the microseconds of its vertices and never moves one across midnight', () => {
    const from = '2026-11-30T23:59:00Z';
    const track = trackFeature(
      '0190e3a0-0000-7000-8000-000000000001',
      { from, to: '2026-12-01T00:01:00Z' },
      [
        { seg: 0, lon: 8, lat: 47, m: 59_999_999, n: 2 },
        { seg: 0, lon: 8.1, lat: 47, m: 60_000_001, n: 2 },
      ],
      0,
      300,
    );
    expect(track.properties.times).toEqual(['2026-11-30T23:59:59.999999Z', '2026-12-01T00:00:00.000001Z']);
  });
});
