import { describe, expect, it } from '@jest/globals';
import { aggregateResolution } from './tile-aggregation';

describe('aggregateResolution', () => {
  it('gives each zoom a resolution whose cells are a few pixels across, at most the finest stored', () => {
    const byZoom = Array.from({ length: 12 }, (_, z) => aggregateResolution(z, [5, 7]));
    expect(byZoom).toEqual([1, 2, 2, 3, 4, 5, 5, 6, 7, 7, 7, 7]);
  });

  it('never goes finer than the finest stored resolution, whatever their order', () => {
    expect(aggregateResolution(9, [7, 5])).toBe(7);
    expect(aggregateResolution(9, [3])).toBe(3);
    expect(aggregateResolution(12, [5, 9])).toBe(9);
  });

  it('is null when no resolution is stored (the tile then holds fixes)', () => {
    expect(aggregateResolution(0, [])).toBeNull();
  });
});
