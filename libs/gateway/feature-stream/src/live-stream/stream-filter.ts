import { z } from 'zod';
import { type Bbox, ErrorCodes } from '@meridian/contracts/core';
import { invalid, parseBbox, parseOr400 } from '@meridian/gateway/util-http';
import { parseEntryId } from './event-id';
import { type StreamEvent, type StreamType, streamTypes, typeOfEvent } from '../stream-event';

/** What one client asked for: an area (none: everywhere) and the kinds of events. */
export interface StreamFilter {
  readonly bbox?: Bbox;
  readonly types: ReadonlySet<StreamType>;
}

/** Only these: a token or anything else in the URL is refused (tokens travel in `Authorization`). */
const StreamQuery = z.strictObject({ bbox: z.string().optional(), types: z.string().optional() });

/** `?bbox=&types=` → a filter, or a 400 problem before the stream starts. */
export function parseStreamQuery(query: unknown): StreamFilter {
  const params = parseOr400(StreamQuery, query ?? {});
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

/** Point in bbox (edges included) for both kinds: a position's fix, a geofence event's fix or zone-change point. */
export function matches(filter: StreamFilter, event: StreamEvent): boolean {
  if (!filter.types.has(typeOfEvent(event.event))) return false;
  if (!filter.bbox) return true;
  const [minLon, minLat, maxLon, maxLat] = filter.bbox;
  const { lon, lat } = event.data;
  return lon >= minLon && lon <= maxLon && lat >= minLat && lat <= maxLat;
}
