/**
 * The reply of GET /v1/assets/{id}/track as the playback screen reads it, and where the asset was at
 * any instant of it: linear between two vertices by time, at the last vertex of a line while the
 * track pauses (a gap, between the lines of a MultiLineString).
 */
import type { Feature, LineString, MultiLineString, Point } from 'geojson';

/** `times` is one list per line for a MultiLineString (docs/api/openapi.json, `assetTrack`). */
export interface TrackReplyProperties {
  readonly times: readonly string[] | readonly (readonly string[])[];
  readonly from: string;
  readonly to: string;
  readonly fixes: number;
  readonly vertices: number;
  readonly simplifyMeters: number;
  readonly gapSeconds: number;
}
export type TrackReply = Feature<LineString | MultiLineString | Point | null, TrackReplyProperties>;

/** One line of the track: its vertices and their instants (epoch ms), in time order. */
export interface TrackLine {
  readonly coordinates: readonly (readonly [number, number])[];
  readonly times: readonly number[];
}

export interface PlaybackTrack {
  readonly lines: readonly TrackLine[];
  /** The first instant of each line. */
  readonly lineStarts: readonly number[];
  readonly start: number;
  readonly end: number;
  readonly fixes: number;
  readonly vertices: number;
  readonly simplifyMeters: number;
  readonly gapSeconds: number;
  /** [minLon, minLat, maxLon, maxLat] of every vertex. */
  readonly bounds: readonly [number, number, number, number];
}

export interface PlaybackPosition {
  readonly lon: number;
  readonly lat: number;
  /** True while the track pauses (between two lines): the asset is shown where it was last seen. */
  readonly inGap: boolean;
}

const pair = (c: readonly number[]): [number, number] => [Number(c[0]), Number(c[1])];

/** The reply as lines with times in ms; null when it has no vertex (no fixes in the window). */
export function readTrack(reply: TrackReply): PlaybackTrack | null {
  const { geometry, properties } = reply;
  if (!geometry) return null;
  const raw: { coordinates: [number, number][]; times: readonly string[] }[] = [];
  const flat = (properties.times as readonly unknown[]).every((t) => typeof t === 'string');
  if (geometry.type === 'MultiLineString') {
    const times = properties.times as readonly (readonly string[])[];
    geometry.coordinates.forEach((line, i) => raw.push({ coordinates: line.map(pair), times: times[i] ?? [] }));
  } else if (geometry.type === 'LineString') {
    raw.push({ coordinates: geometry.coordinates.map(pair), times: flat ? (properties.times as string[]) : [] });
  } else {
    raw.push({ coordinates: [pair(geometry.coordinates)], times: flat ? (properties.times as string[]) : [] });
  }
  const lines: TrackLine[] = [];
  let minLon = Infinity;
  let minLat = Infinity;
  let maxLon = -Infinity;
  let maxLat = -Infinity;
  for (const line of raw) {
    const n = Math.min(line.coordinates.length, line.times.length);
    if (n === 0) continue;
    const coordinates = line.coordinates.slice(0, n);
    const times = line.times.slice(0, n).map((t) => Date.parse(t));
    if (times.some((t) => Number.isNaN(t))) continue;
    for (const [lon, lat] of coordinates) {
      minLon = Math.min(minLon, lon);
      maxLon = Math.max(maxLon, lon);
      minLat = Math.min(minLat, lat);
      maxLat = Math.max(maxLat, lat);
    }
    lines.push({ coordinates, times });
  }
  if (lines.length === 0) return null;
  lines.sort((a, b) => (a.times[0] ?? 0) - (b.times[0] ?? 0));
  return {
    lines,
    lineStarts: lines.map((l) => l.times[0] ?? 0),
    start: lines[0]?.times[0] ?? 0,
    end: lines.at(-1)?.times.at(-1) ?? 0,
    fixes: properties.fixes,
    vertices: properties.vertices,
    simplifyMeters: properties.simplifyMeters,
    gapSeconds: properties.gapSeconds,
    bounds: [minLon, minLat, maxLon, maxLat],
  };
}

/** The index of the last element of the ascending `values` that is ≤ `t` (-1 when all are greater). */
function lastAtOrBefore(values: readonly number[], t: number): number {
  let lo = 0;
  let hi = values.length - 1;
  let found = -1;
  while (lo <= hi) {
    const mid = (lo + hi) >> 1;
    if ((values[mid] ?? Infinity) <= t) {
      found = mid;
      lo = mid + 1;
    } else hi = mid - 1;
  }
  return found;
}

/** Where the asset was at `t` (clamped to the track's first and last instants). */
export function positionAt(track: PlaybackTrack, t: number): PlaybackPosition {
  const at = Math.min(track.end, Math.max(track.start, t));
  const line = track.lines[Math.max(0, lastAtOrBefore(track.lineStarts, at))];
  if (!line) return { lon: 0, lat: 0, inGap: false };
  const i = Math.max(0, lastAtOrBefore(line.times, at));
  const a = line.coordinates[i] ?? line.coordinates[0];
  const b = line.coordinates[i + 1];
  const ta = line.times[i] ?? at;
  const tb = line.times[i + 1];
  if (!a) return { lon: 0, lat: 0, inGap: false };
  // Past this line's last vertex: the track pauses until the next line starts.
  if (!b || tb === undefined) return { lon: a[0], lat: a[1], inGap: at > ta };
  const f = tb > ta ? (at - ta) / (tb - ta) : 0;
  return { lon: a[0] + (b[0] - a[0]) * f, lat: a[1] + (b[1] - a[1]) * f, inGap: false };
}
