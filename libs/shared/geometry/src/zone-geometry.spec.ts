import { describe, expect, it } from '@jest/globals';
import type { Position } from 'geojson';
import { checkZoneGeometry } from './zone-geometry';

/** A closed ring from its corners (the first corner is repeated at the end). */
const ring = (...corners: Position[]): Position[] => [...corners, corners[0]];
const square = (x: number, y: number, size: number): Position[] =>
  ring([x, y], [x + size, y], [x + size, y + size], [x, y + size]);
const polygon = (...rings: Position[][]) => ({ type: 'Polygon', coordinates: rings });

/** Signed area (shoelace): positive for a counter-clockwise ring. */
const signedArea = (r: Position[]): number =>
  r.slice(0, -1).reduce((a, p, i) => a + (p[0] * r[i + 1][1] - r[i + 1][0] * p[1]), 0) / 2;

describe('checkZoneGeometry', () => {
  const valid: [string, unknown][] = [
    ['a polygon', polygon(square(8.5, 47.3, 0.1))],
    ['a polygon with a hole', polygon(square(8.5, 47.3, 0.1), square(8.52, 47.32, 0.02))],
    [
      'a multipolygon, one with a hole',
      {
        type: 'MultiPolygon',
        coordinates: [[square(8.5, 47.3, 0.1), square(8.52, 47.32, 0.02)], [square(9, 47, 0.05)]],
      },
    ],
    ['a ring touching the antimeridian', polygon(ring([179.5, 10], [180, 10], [180, 11], [179.5, 11]))],
  ];

  it.each(valid)('accepts %s', (_, geometry) => {
    expect(checkZoneGeometry(geometry)).toMatchObject({ ok: true });
  });

  const invalid: [string, unknown, RegExp][] = [
    [
      'a bow-tie',
      polygon(ring([8.5, 47.3], [8.6, 47.4], [8.6, 47.3], [8.5, 47.4])),
      /^self-intersection near 8\.55 47\.35 in polygon 0$/,
    ],
    [
      'an unclosed ring',
      polygon([
        [8.5, 47.3],
        [8.6, 47.3],
        [8.6, 47.4],
        [8.5, 47.4],
      ]),
      /^the shell of polygon 0 is not closed: it starts at 8\.5 47\.3 and ends at 8\.5 47\.4$/,
    ],
    [
      'too few positions',
      polygon([
        [8.5, 47.3],
        [8.6, 47.3],
        [8.5, 47.3],
      ]),
      /^the shell of polygon 0 has 3 positions; a ring needs at least 4/,
    ],
    [
      'a hole outside its shell',
      polygon(square(8.5, 47.3, 0.1), square(9, 48, 0.01)),
      /^hole 1 of polygon 0 is not inside its shell: 9 48 is outside$/,
    ],
    [
      'a hole crossing its shell',
      polygon(square(8.5, 47.3, 0.1), square(8.55, 47.35, 0.1)),
      /^self-intersection near (8\.6 47\.35|8\.55 47\.4) in polygon 0$/,
    ],
    [
      'a longitude out of range',
      polygon(ring([179.9, 10], [180.5, 10], [180.5, 11], [179.9, 11])),
      /^position 1 of the shell of polygon 0 is out of range: 180\.5 10/,
    ],
    [
      'a latitude out of range',
      polygon(ring([10, 89.5], [11, 89.5], [11, 91], [10, 91])),
      /^position 2 of the shell of polygon 0 is out of range: 11 91/,
    ],
    [
      'a coordinate that is not a number',
      polygon(ring([10, 10], [11, 10], [11, 'x' as unknown as number], [10, 11])),
      /^position 2 of the shell of polygon 0 has a coordinate that is not a finite number$/,
    ],
    ['a point', { type: 'Point', coordinates: [8.5, 47.3] }, /^type "Point" is not a zone geometry/],
    ['no rings', polygon(), /^polygon 0 has no rings$/],
    [
      'a bad polygon inside a multipolygon',
      { type: 'MultiPolygon', coordinates: [[square(8, 47, 1)], [ring([1, 1], [2, 2], [2, 1], [1, 2])]] },
      /^self-intersection near 1\.5 1\.5 in polygon 1$/,
    ],
  ];

  it.each(invalid)('refuses %s, saying what and where', (_, geometry, detail) => {
    const check = checkZoneGeometry(geometry);
    expect(check.ok).toBe(false);
    if (!check.ok) expect(check.detail).toMatch(detail);
  });

  it('keeps longitude and latitude of positions given with an altitude (zones are 2D)', () => {
    const check = checkZoneGeometry({
      type: 'Polygon',
      coordinates: [
        [
          [8.5, 47.3, 400],
          [8.6, 47.3, 410],
          [8.6, 47.4, 420],
          [8.5, 47.4, 430],
          [8.5, 47.3, 400],
        ],
      ],
    });
    expect(check.ok).toBe(true);
    const positions = check.ok ? (check.geometry.coordinates as Position[][]).flat() : [];
    expect(positions.map((p) => p.length)).toEqual([2, 2, 2, 2, 2]);
  });

  it('refuses more positions than the limit (default 10,000), counting every ring', () => {
    const circle = (n: number): Position[] =>
      ring(
        ...Array.from({ length: n }, (_, i): Position => [
          Math.cos((2 * Math.PI * i) / n),
          Math.sin((2 * Math.PI * i) / n),
        ]),
      );
    expect(checkZoneGeometry(polygon(circle(9_999)))).toMatchObject({ ok: true, vertices: 10_000 });
    expect(checkZoneGeometry(polygon(circle(10_000)))).toEqual({
      ok: false,
      detail: 'the geometry has 10001 positions; at most 10000 are allowed',
    });
    expect(checkZoneGeometry(polygon(square(0, 0, 1)), { maxVertices: 4 })).toMatchObject({ ok: false });
  });

  it('rewinds rings to RFC 7946: shells counter-clockwise, holes clockwise; the input is not changed', () => {
    const clockwiseShell = ring([8.5, 47.3], [8.5, 47.4], [8.6, 47.4], [8.6, 47.3]);
    const counterClockwiseHole = square(8.52, 47.32, 0.02);
    const input = polygon(clockwiseShell, counterClockwiseHole);
    const check = checkZoneGeometry(input);
    expect(check.ok).toBe(true);
    if (!check.ok || check.geometry.type !== 'Polygon') return;
    const [shell, hole] = check.geometry.coordinates;
    expect(signedArea(shell)).toBeGreaterThan(0);
    expect(signedArea(hole)).toBeLessThan(0);
    expect(signedArea(clockwiseShell)).toBeLessThan(0);
    expect(input.coordinates[0]).toBe(clockwiseShell);
  });
});
