import { cellToParent, latLngToCell } from 'h3-js';
import { describe, expect, it } from '@jest/globals';
import { cellHex, countCells, parentHex } from './cells';

/** Deterministic points over the whole globe (mulberry32). */
function points(n: number, seed: number): [number, number][] {
  let a = seed;
  const next = (): number => {
    a = (a + 0x6d2b79f5) | 0;
    let t = Math.imul(a ^ (a >>> 15), 1 | a);
    t = (t + Math.imul(t ^ (t >>> 7), 61 | t)) ^ t;
    return ((t ^ (t >>> 14)) >>> 0) / 4294967296;
  };
  return Array.from({ length: n }, () => [next() * 360 - 180, next() * 180 - 90]);
}

describe('H3 cells by bit arithmetic', () => {
  it('parentHex agrees with h3-js cellToParent for 2,000 random cells at every resolution', () => {
    const mismatches: string[] = [];
    for (const [lon, lat] of points(2000, 7)) {
      const cell = latLngToCell(lat, lon, 15);
      for (let r = 0; r <= 15; r++) {
        if (parentHex(cell, r) !== cellToParent(cell, r)) mismatches.push(`${cell}@${r}`);
      }
    }
    expect(mismatches).toEqual([]);
  });

  it('countCells counts each fix once per resolution and hour, in the cell latLngToCell gives', () => {
    const fixes = [
      { tenantId: 't', ts: '2026-01-01T10:15:00Z', lon: 8.5, lat: 47.3 },
      { tenantId: 't', ts: '2026-01-01T10:45:00.123456Z', lon: 8.5, lat: 47.3 },
      { tenantId: 't', ts: '2026-01-01T11:00:00Z', lon: 8.5, lat: 47.3 },
      { tenantId: 'u', ts: '2026-01-01T10:20:00Z', lon: 8.5, lat: 47.3 },
    ];
    const counts = countCells(fixes, [5, 7]);
    const key = (c: (typeof counts)[number]) =>
      `${c.tenantId} ${c.resolution} ${new Date(c.hour).toISOString()} ${cellHex(c.cell)} ${c.fixes}`;
    expect(counts.map(key).sort()).toEqual(
      [
        `t 7 2026-01-01T10:00:00.000Z ${latLngToCell(47.3, 8.5, 7)} 2`,
        `t 5 2026-01-01T10:00:00.000Z ${latLngToCell(47.3, 8.5, 5)} 2`,
        `t 7 2026-01-01T11:00:00.000Z ${latLngToCell(47.3, 8.5, 7)} 1`,
        `t 5 2026-01-01T11:00:00.000Z ${latLngToCell(47.3, 8.5, 5)} 1`,
        `u 7 2026-01-01T10:00:00.000Z ${latLngToCell(47.3, 8.5, 7)} 1`,
        `u 5 2026-01-01T10:00:00.000Z ${latLngToCell(47.3, 8.5, 5)} 1`,
      ].sort(),
    );
    // The coarse key is each cell's own resolution-3 parent.
    for (const c of counts) expect(cellHex(c.coarse)).toBe(cellToParent(cellHex(c.cell), 3));
    expect(countCells(fixes, [])).toEqual([]);
  });
});
