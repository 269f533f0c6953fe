import { describe, expect, it } from '@jest/globals';
import { MERCATOR_MAX_LAT, tileBounds } from './tile-bounds';

describe('tileBounds', () => {
  it('zoom 0 without margin is the whole Web Mercator world', () => {
    const [w, s, e, n] = tileBounds(0, 0, 0, 0);
    expect([w, e]).toEqual([-180, 180]);
    expect(s).toBeCloseTo(-MERCATOR_MAX_LAT, 12);
    expect(n).toBeCloseTo(MERCATOR_MAX_LAT, 12);
  });

  it('a margin past the edge of the world is clamped to ±180° and ±85.0511°, never beyond', () => {
    const [w, s, e, n] = tileBounds(0, 0, 0);
    expect([w, s, e, n]).toEqual([-180, -MERCATOR_MAX_LAT, 180, MERCATOR_MAX_LAT]);
    const [, , , north] = tileBounds(3, 7, 0);
    expect(north).toBe(MERCATOR_MAX_LAT);
  });

  it('zoom 1 tile (1, 0) is the north-east quarter', () => {
    const [w, s, e, n] = tileBounds(1, 1, 0, 0);
    expect(w).toBeCloseTo(0, 12);
    expect(s).toBeCloseTo(0, 12);
    expect(e).toBe(180);
    expect(n).toBeCloseTo(MERCATOR_MAX_LAT, 12);
  });

  it('a zoom-22 tile is a few centimetres wide, and the margin grows it by 64/4096 of a side each way', () => {
    // The zoom-22 tile over (8.5417, 47.3769), Zürich.
    const n = 2 ** 22;
    const x = Math.floor(((8.5417 + 180) / 360) * n);
    const rad = (47.3769 * Math.PI) / 180;
    const y = Math.floor(((1 - Math.log(Math.tan(rad) + 1 / Math.cos(rad)) / Math.PI) / 2) * n);
    const [w, s, e, north] = tileBounds(22, x, y, 0);
    expect(w).toBeLessThanOrEqual(8.5417);
    expect(e).toBeGreaterThan(8.5417);
    expect(s).toBeLessThanOrEqual(47.3769);
    expect(north).toBeGreaterThan(47.3769);
    expect(e - w).toBeCloseTo(360 / n, 12);
    const [mw, , me] = tileBounds(22, x, y);
    expect(me - mw).toBeCloseTo((360 / n) * (1 + 2 * (64 / 4096)), 12);
  });
});
