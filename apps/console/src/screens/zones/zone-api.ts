/**
 * The zones API as the zones screen uses it (docs/api/openapi.json: createZone, replaceZone,
 * archiveZone, getZone, listZones). Commands answer once workflow stored the change (201/200 with
 * the zone's new `version`) or, when it did not answer in time, 202 `pending`; the read model the
 * GET requests answer from follows shortly after, so `waitForZone` polls until it shows the change.
 */
import type { MultiPolygon, Polygon } from 'geojson';
import { type Api, ApiError } from '../../api/client';
import type { ZoneFeature, ZoneKind } from '../../api/types';

export type EditableKind = Exclude<ZoneKind, 'mission_area'>;
export const EDITABLE_KINDS: readonly EditableKind[] = ['geofence', 'restricted', 'area_of_interest'];

export const KIND_LABELS: Readonly<Record<ZoneKind, string>> = {
  geofence: 'Geofence',
  restricted: 'Restricted',
  area_of_interest: 'Area of interest',
  mission_area: 'Mission area',
};

export const KIND_COLOURS: Readonly<Record<ZoneKind, string>> = {
  geofence: '#0a5bd3',
  restricted: '#a40e26',
  area_of_interest: '#bf6a02',
  mission_area: '#6e40c9',
};

/** The body of PUT /v1/zones/{id}; POST adds `kind`. Absent validity ends are open. */
export interface ZoneContent {
  readonly name: string;
  readonly geometry: Polygon | MultiPolygon;
  readonly validFrom: string | null;
  readonly validTo: string | null;
  readonly sensitivity: number;
  readonly team?: string | null;
}
export interface CreateZoneBody extends ZoneContent {
  readonly kind: EditableKind;
}

/** 201/200: stored, at this stream version. */
export interface CommandAccepted {
  readonly id: string;
  readonly version: number;
}
/** 202: sent, but workflow did not answer in time; it may still be applied. */
export interface CommandPending {
  readonly id: string;
  readonly status: 'pending';
  readonly correlationId: string;
}
export type CommandReply = CommandAccepted | CommandPending;

export const isPending = (reply: CommandReply): reply is CommandPending =>
  'status' in reply && reply.status === 'pending';

const zonePath = (id: string): string => `/v1/zones/${encodeURIComponent(id)}`;
/** `If-Match` for the version read (the zone's `ETag` is `"<version>"`). */
const ifMatch = (version: number): Record<string, string> => ({ 'if-match': `"${version}"` });

export const getZone = (api: Api, id: string, signal?: AbortSignal): Promise<ZoneFeature> =>
  api.get<ZoneFeature>(zonePath(id), {}, signal);

export const createZone = (api: Api, body: CreateZoneBody): Promise<CommandReply> =>
  api.post<CommandReply>('/v1/zones', body);

export const replaceZone = (api: Api, id: string, version: number, body: ZoneContent): Promise<CommandReply> =>
  api.put<CommandReply>(zonePath(id), body, ifMatch(version));

/** 204 once archived (nothing to read), 202 when workflow did not answer in time. */
export const archiveZone = (api: Api, id: string, version: number): Promise<CommandPending | undefined> =>
  api.delete<CommandPending | undefined>(zonePath(id), ifMatch(version));

/** A 412: someone changed the zone since it was read. */
export const isConflict = (err: unknown): boolean => err instanceof ApiError && err.status === 412;

const POLL_MS = 250;

/**
 * Reads the zone until `done` says the read model shows what was written (a 404 meanwhile means
 * "not yet"), or gives up after `timeoutMs` with null. Other refusals are thrown.
 */
export async function waitForZone(
  api: Api,
  id: string,
  done: (zone: ZoneFeature) => boolean,
  timeoutMs: number,
): Promise<ZoneFeature | null> {
  const deadline = Date.now() + timeoutMs;
  for (;;) {
    try {
      const zone = await getZone(api, id);
      if (done(zone)) return zone;
    } catch (err) {
      if (!(err instanceof ApiError && err.status === 404)) throw err;
    }
    if (Date.now() > deadline) return null;
    await new Promise((resolve) => setTimeout(resolve, POLL_MS));
  }
}

/** How long to wait for the read model: briefly after an accepted command, longer after a pending one. */
export const catchUpMs = (reply: CommandReply | undefined): number => (reply && !isPending(reply) ? 10_000 : 30_000);

/** The bounds of a zone's geometry, `[[west, south], [east, north]]`. */
export function boundsOf(geometry: Polygon | MultiPolygon): [[number, number], [number, number]] | null {
  const rings = geometry.type === 'Polygon' ? geometry.coordinates : geometry.coordinates.flat();
  let west = Infinity;
  let south = Infinity;
  let east = -Infinity;
  let north = -Infinity;
  for (const ring of rings) {
    for (const [lon, lat] of ring) {
      if (lon === undefined || lat === undefined) continue;
      west = Math.min(west, lon);
      east = Math.max(east, lon);
      south = Math.min(south, lat);
      north = Math.max(north, lat);
    }
  }
  return Number.isFinite(west)
    ? [
        [west, south],
        [east, north],
      ]
    : null;
}
