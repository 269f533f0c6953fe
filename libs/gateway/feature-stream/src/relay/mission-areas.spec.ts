import { describe, expect, it } from '@jest/globals';
import type { Polygon } from 'geojson';
import { MissionAreas } from './mission-areas';

/** A closed ring of `n` positions (n - 1 distinct) around (lon, 0). */
const ring = (lon: number, n: number): Polygon => {
  const positions = Array.from({ length: n - 1 }, (_, i) => {
    const a = (2 * Math.PI * i) / (n - 1);
    return [lon + Math.cos(a), Math.sin(a)];
  });
  return { type: 'Polygon', coordinates: [[...positions, positions[0]]] };
};

describe('MissionAreas (the relay memory of mission areas)', () => {
  it('remembers areas by key and forgets one on request', () => {
    const areas = new MissionAreas();
    areas.remember('t:a', ring(1, 5));
    areas.remember('t:b', ring(2, 5));
    expect(areas.get('t:a')).toEqual(ring(1, 5));
    expect(areas.get('u:a')).toBeNull();
    areas.forget('t:a');
    expect(areas.get('t:a')).toBeNull();
    expect(areas.size).toBe(1);
  });

  it('keeps at most maxMissions, dropping the least recently used', () => {
    const areas = new MissionAreas({ maxMissions: 2, maxPositions: 1000 });
    areas.remember('a', ring(1, 5));
    areas.remember('b', ring(2, 5));
    expect(areas.get('a')).not.toBeNull(); // a is now the most recently used
    areas.remember('c', ring(3, 5));
    expect([areas.get('a') !== null, areas.get('b') !== null, areas.get('c') !== null]).toEqual([true, false, true]);
    expect(areas.size).toBe(2);
  });

  it('keeps at most maxPositions of all areas together, and never one larger than that alone', () => {
    const areas = new MissionAreas({ maxMissions: 100, maxPositions: 20 });
    areas.remember('a', ring(1, 8));
    areas.remember('b', ring(2, 8));
    areas.remember('c', ring(3, 8)); // 24 positions: a goes
    expect([areas.get('a'), areas.get('b') !== null, areas.get('c') !== null]).toEqual([null, true, true]);
    areas.remember('huge', ring(4, 21));
    expect(areas.get('huge')).toBeNull();
    expect(areas.size).toBe(2);
    // Remembering a key again replaces its area and its count.
    areas.remember('b', ring(5, 4));
    areas.remember('d', ring(6, 8)); // 4 + 8 + 8 = 20: all stay
    expect(areas.size).toBe(3);
    expect(areas.get('b')).toEqual(ring(5, 4));
  });
});
