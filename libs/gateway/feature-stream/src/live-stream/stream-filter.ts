import type { Polygon } from 'geojson';
import { z } from 'zod';
import { type Bbox, ErrorCodes } from '@meridian/contracts/core';
import { invalid, parseBbox, parseOr400 } from '@meridian/gateway/util-http';
import { regionIntersects } from '@meridian/shared/policy';
import { parseEntryId } from './event-id';
import { isMissionEvent, type StreamEvent, type StreamType, streamTypes, typeOfEvent } from '../stream-event';
import type { Visibility } from './stream-visibility';

/** What one client asked for: an area (none: everywhere) and the kinds of events. */
export interface StreamQuery {
  readonly bbox?: Bbox;
  readonly types: ReadonlySet<StreamType>;
}

/** What one client gets: what it asked for, of what its principal may see. */
export interface StreamFilter extends StreamQuery {
  readonly visible: Visibility;
}

/** Only these: a token or anything else in the URL is refused (tokens travel in `Authorization`). */
const StreamParams = z.strictObject({ bbox: z.string().optional(), types: z.string().optional() });

/** `?bbox=&types=` → what the client asked for, or a 400 problem before the stream starts. */
export function parseStreamQuery(query: unknown): StreamQuery {
  const params = parseOr400(StreamParams, query ?? {});
  const bbox = parseBbox(params.bbox);
  const names = params.types === undefined ? [...streamTypes] : params.types.split(',').map((t) => t.trim());
  const unknown = names.filter((t) => !(streamTypes as readonly string[]).includes(t));
  if (unknown.length > 0 || names.length === 0) {
    const named = unknown.map((t) => JSON.stringify(t)).join(', ') || '(none given)';
    throw invalid(
      ErrorCodes.requestInvalid,
      `types: unknown ${named}; expected a comma-separated subset of ${streamTypes.join(', ')}`,
      [{ path: 'types', message: `one or more of ${streamTypes.join(', ')}` }],
    );
  }
  return { ...(bbox ? { bbox } : {}), types: new Set(names as StreamType[]) };
}

/** The `Last-Event-ID` header: absent, or an id this gateway sent (a Redis stream entry id). */
export function parseLastEventId(header: string | string[] | undefined): string | undefined {
  const value = Array.isArray(header) ? header[0] : header;
  if (value === undefined || value === '') return undefined;
  if (!parseEntryId(value)) {
    throw invalid(ErrorCodes.requestInvalid, 'Last-Event-ID must be an id this stream sent, such as 1718000000000-0');
  }
  return value;
}

/**
 * In the bbox (edges included): a position's fix, a geofence event's fix or zone-change point; a
 * mission event's area meeting it. A mission event whose area the relay does not know passes (it
 * cannot be placed, and a client following that mission would rather have it than miss it).
 */
export function asked(query: StreamQuery, event: StreamEvent): boolean {
  if (!query.types.has(typeOfEvent(event.event))) return false;
  if (!query.bbox) return true;
  if (isMissionEvent(event)) return !event.data.area || areaMeets(event.data.area, query.bbox);
  const [minLon, minLat, maxLon, maxLat] = query.bbox;
  const { lon, lat } = event.data;
  return lon >= minLon && lon <= maxLon && lat >= minLat && lat <= maxLat;
}

/** The area meets the box (boundaries included): its extent first, the exact test only where that overlaps. */
function areaMeets(area: Polygon, [minLon, minLat, maxLon, maxLat]: Bbox): boolean {
  const positions = area.coordinates.flat();
  const lons = positions.map((p) => p[0]);
  const lats = positions.map((p) => p[1]);
  if (Math.max(...lons) < minLon || Math.min(...lons) > maxLon) return false;
  if (Math.max(...lats) < minLat || Math.min(...lats) > maxLat) return false;
  const box: Polygon = {
    type: 'Polygon',
    coordinates: [
      [
        [minLon, minLat],
        [maxLon, minLat],
        [maxLon, maxLat],
        [minLon, maxLat],
        [minLon, minLat],
      ],
    ],
  };
  return regionIntersects(box, area);
}

/** Asked for, and visible to the client's principal (the cheap test first). */
export const matches = (filter: StreamFilter, event: StreamEvent): boolean =>
  asked(filter, event) && filter.visible(event);
