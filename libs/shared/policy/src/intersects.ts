import { booleanIntersects } from '@turf/boolean-intersects';
import type { Geometry, MultiPolygon, Polygon, Position } from 'geojson';

type Segment = readonly [Position, Position];

/** Every vertex and every edge (ring or line segment) of a geometry, collections included. */
function collect(geometry: Geometry, vertices: Position[], segments: Segment[]): void {
  const path = (positions: readonly Position[]): void => {
    positions.forEach((p, i) => {
      vertices.push(p);
      if (i > 0) segments.push([positions[i - 1], p]);
    });
  };
  switch (geometry.type) {
    case 'Point':
      vertices.push(geometry.coordinates);
      return;
    case 'MultiPoint':
      vertices.push(...geometry.coordinates);
      return;
    case 'LineString':
      return path(geometry.coordinates);
    case 'MultiLineString':
    case 'Polygon':
      return geometry.coordinates.forEach(path);
    case 'MultiPolygon':
      return geometry.coordinates.forEach((polygon) => polygon.forEach(path));
    case 'GeometryCollection':
      return geometry.geometries.forEach((g) => collect(g, vertices, segments));
    default:
      return assertNever(geometry);
  }
}

function assertNever(value: never): never {
  throw new TypeError(`unexpected geometry ${JSON.stringify(value)}`);
}

/** `p` lies on the closed segment (collinear and within its bounding box). */
function onSegment(p: Position, [a, b]: Segment): boolean {
  const cross = (p[0] - a[0]) * (b[1] - a[1]) - (p[1] - a[1]) * (b[0] - a[0]);
  return (
    cross === 0 &&
    Math.min(a[0], b[0]) <= p[0] &&
    p[0] <= Math.max(a[0], b[0]) &&
    Math.min(a[1], b[1]) <= p[1] &&
    p[1] <= Math.max(a[1], b[1])
  );
}

/** Some vertex of one geometry lies on an edge or vertex of the other. */
function touchAtVertex(a: Geometry, b: Geometry): boolean {
  const [va, sa, vb, sb]: [Position[], Segment[], Position[], Segment[]] = [[], [], [], []];
  collect(a, va, sa);
  collect(b, vb, sb);
  const onB = (p: Position): boolean =>
    sb.some((s) => onSegment(p, s)) || vb.some((q) => q[0] === p[0] && q[1] === p[1]);
  return va.some(onB) || vb.some((p) => sa.some((s) => onSegment(p, s)));
}

/**
 * Whether a location meets a region, boundaries included: the planar ST_Intersects of PostGIS
 * geometry(…, 4326), so that `decide` and the compiled SQL agree row for row.
 *
 * @turf/boolean-intersects 7.4 counts boundaries as intersecting (point on an edge, polygons sharing
 * an edge or a corner) but its sweep line misses a polygon corner that touches the interior of a
 * line, e.g. a triangle corner on a vertical LineString, where ST_Intersects says true. Every such
 * contact (a touch without a proper crossing) puts a vertex of one geometry on an edge of the other,
 * so that check, exact for coordinates whose products are exact (such as any 0.5° grid), completes it.
 * Checked against PostGIS 3.3 over 2.2 million grid pairs and by policy-agreement.int.spec.ts.
 */
export function regionIntersects(region: Polygon | MultiPolygon, location: Geometry): boolean {
  return booleanIntersects(region, location) || touchAtVertex(region, location);
}
