import booleanPointInPolygon from '@turf/boolean-point-in-polygon';
import { polygon as turfPolygon } from '@turf/helpers';
import kinks from '@turf/kinks';
import rewind from '@turf/rewind';
import type { MultiPolygon, Polygon, Position } from 'geojson';

/** A zone's area: a GeoJSON Polygon or MultiPolygon, longitude/latitude in WGS 84 (RFC 7946). */
export type ZoneGeometry = Polygon | MultiPolygon;

export interface GeometryLimits {
  /** Positions over all rings, closing positions included (default 10,000). */
  readonly maxVertices?: number;
}

export type GeometryCheck =
  | { readonly ok: true; readonly geometry: ZoneGeometry; readonly vertices: number }
  | { readonly ok: false; readonly detail: string };

export const DEFAULT_MAX_VERTICES = 10_000;

const fmt = (n: number): string => String(Math.round(n * 1e6) / 1e6);
const at = (p: Position): string => `${fmt(p[0])} ${fmt(p[1])}`;

class Invalid extends Error {}
const invalid = (detail: string): never => {
  throw new Invalid(detail);
};

function positionOf(value: unknown, where: string): Position {
  if (!Array.isArray(value) || value.length < 2 || value.length > 3) {
    return invalid(`${where} is not a position [longitude, latitude]`);
  }
  if (!value.every((v) => typeof v === 'number' && Number.isFinite(v))) {
    return invalid(`${where} has a coordinate that is not a finite number`);
  }
  const [lon, lat] = value as number[];
  if (lon < -180 || lon > 180 || lat < -90 || lat > 90) {
    return invalid(`${where} is out of range: ${lon} ${lat} (longitude -180..180, latitude -90..90)`);
  }
  return value as Position;
}

function ringOf(value: unknown, where: string): Position[] {
  if (!Array.isArray(value)) return invalid(`${where} is not an array of positions`);
  const ring = value.map((p, i) => positionOf(p, `position ${i} of ${where}`));
  if (ring.length < 4) {
    return invalid(`${where} has ${ring.length} positions; a ring needs at least 4 (the last repeating the first)`);
  }
  const first = ring[0];
  const last = ring[ring.length - 1];
  if (first[0] !== last[0] || first[1] !== last[1]) {
    return invalid(`${where} is not closed: it starts at ${at(first)} and ends at ${at(last)}`);
  }
  return ring;
}

function polygonOf(value: unknown, where: string): Position[][] {
  if (!Array.isArray(value) || value.length === 0) return invalid(`${where} has no rings`);
  return value.map((ring, i) => ringOf(ring, i === 0 ? `the shell of ${where}` : `hole ${i} of ${where}`));
}

/** Self-intersections (a ring crossing itself or another ring of the polygon), then holes outside their shell. */
function checkTopology(rings: Position[][], where: string): void {
  const crossings = kinks(turfPolygon(rings)).features;
  if (crossings.length > 0) {
    const point = crossings[0].geometry.coordinates;
    return invalid(`self-intersection near ${at(point)} in ${where}`);
  }
  const shell = turfPolygon([rings[0]]);
  rings.slice(1).forEach((hole, i) => {
    const outside = hole.find((p) => !booleanPointInPolygon(p, shell));
    if (outside) invalid(`hole ${i + 1} of ${where} is not inside its shell: ${at(outside)} is outside`);
  });
}

/**
 * Checks a zone's geometry before anything is written, and normalises it: closed rings of at least
 * four positions, coordinates in range, no self-intersection, holes inside their shell, at most
 * `maxVertices` positions; rings are rewound to RFC 7946 orientation (shells counter-clockwise,
 * holes clockwise). The detail of a refusal says what and where, e.g. "self-intersection near
 * 8.54 47.37 in polygon 0". Polygons of a MultiPolygon are checked one by one (overlap between
 * them is not checked).
 */
export function checkZoneGeometry(input: unknown, limits: GeometryLimits = {}): GeometryCheck {
  const maxVertices = limits.maxVertices ?? DEFAULT_MAX_VERTICES;
  try {
    if (typeof input !== 'object' || input === null) invalid('the geometry is not a GeoJSON object');
    const { type, coordinates } = input as { type?: unknown; coordinates?: unknown };
    let polygons: Position[][][];
    if (type === 'Polygon') {
      polygons = [polygonOf(coordinates, 'polygon 0')];
    } else if (type === 'MultiPolygon') {
      if (!Array.isArray(coordinates) || coordinates.length === 0) invalid('the MultiPolygon has no polygons');
      polygons = (coordinates as unknown[]).map((p, i) => polygonOf(p, `polygon ${i}`));
    } else {
      return invalid(`type ${JSON.stringify(type)} is not a zone geometry (Polygon or MultiPolygon)`);
    }
    const vertices = polygons.reduce((n, rings) => n + rings.reduce((m, ring) => m + ring.length, 0), 0);
    if (vertices > maxVertices) invalid(`the geometry has ${vertices} positions; at most ${maxVertices} are allowed`);
    polygons.forEach((rings, i) => checkTopology(rings, `polygon ${i}`));
    // Zones are 2D: an altitude given with a position is dropped (a 3D geometry would not fit the
    // zones' 2D column, and geofencing compares longitude and latitude only).
    const flat = polygons.map((rings) => rings.map((ring) => ring.map(([lon, lat]) => [lon, lat])));
    const geometry: ZoneGeometry =
      type === 'Polygon' ? { type: 'Polygon', coordinates: flat[0] } : { type: 'MultiPolygon', coordinates: flat };
    // rewind answers in the type it was given; its declaration is wider.
    return { ok: true, geometry: rewind(geometry) as ZoneGeometry, vertices };
  } catch (err) {
    if (err instanceof Invalid) return { ok: false, detail: err.message };
    throw err;
  }
}

/**
 * An axis-aligned square polygon with its south-west corner at (`lon`, `lat`) and sides of
 * `size` degrees, counter-clockwise (RFC 7946): for tests, benchmarks and examples.
 */
export const squarePolygon = (lon: number, lat: number, size: number): Polygon => ({
  type: 'Polygon',
  coordinates: [
    [
      [lon, lat],
      [lon + size, lat],
      [lon + size, lat + size],
      [lon, lat + size],
      [lon, lat],
    ],
  ],
});
