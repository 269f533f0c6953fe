import { z } from 'zod';
import { CodedError, defineMessage } from '@meridian/contracts/core';
import { TileErrors } from './tile.errors';

export const tileLayers = ['assets', 'positions', 'zones'] as const;
export const TileLayer = z.enum(tileLayers);
export type TileLayer = z.infer<typeof TileLayer>;

/** Zoom 22 is about 4 cm per pixel at the equator: beyond any fix's accuracy. */
export const MAX_TILE_ZOOM = 22;
/** The window of a positions tile when neither end is given: the last hour. */
export const DEFAULT_TILE_WINDOW_MS = 60 * 60 * 1000;
/** The longest positions window: 7 days (each day is one partition to search). */
export const MAX_TILE_WINDOW_MS = 7 * 24 * 60 * 60 * 1000;
/** The media type of a tile (binary Mapbox Vector Tile 2.1). */
export const MVT_MEDIA_TYPE = 'application/vnd.mapbox-vector-tile';

/**
 * The first and last instants a window may touch (UTC): four-digit years 0001 … 9999. PostgreSQL
 * refuses year 0000 (which RFC 3339 allows), and `toISOString` writes years past 9999 as `+010000`.
 */
export const MIN_TILE_INSTANT = '0001-01-01T00:00:00Z';
export const MAX_TILE_INSTANT = '9999-12-31T23:59:59.999Z';
const MIN_INSTANT_MS = Date.parse(MIN_TILE_INSTANT);
const MAX_INSTANT_MS = Date.parse(MAX_TILE_INSTANT);

const Instant = z.iso.datetime({ offset: true });

/** Why `[start, end)` (epoch ms) is not a positions window, with the code to answer; null when it is one. */
function windowFault(start: number, end: number): { code: string; message: string } | null {
  if (!(start >= MIN_INSTANT_MS && end <= MAX_INSTANT_MS)) {
    return {
      code: TileErrors.tileWindowInvalid,
      message: `the window must lie between ${MIN_TILE_INSTANT} and ${MAX_TILE_INSTANT}`,
    };
  }
  if (end <= start) return { code: TileErrors.tileWindowInvalid, message: '`to` must be after `from`' };
  if (end - start > MAX_TILE_WINDOW_MS) {
    return { code: TileErrors.tileWindowTooLong, message: 'the window is longer than 7 days' };
  }
  return null;
}

/** `x` and `y` lie in the 2^z × 2^z grid of zoom `z`. */
export const tileInGrid = (z: number, x: number, y: number): boolean =>
  Number.isInteger(z) &&
  Number.isInteger(x) &&
  Number.isInteger(y) &&
  z >= 0 &&
  z <= MAX_TILE_ZOOM &&
  x >= 0 &&
  y >= 0 &&
  x < 2 ** z &&
  y < 2 ** z;

/** Queries: gateway → geo-query (`meridian.geo-query.requests`). */
export const GetTileV1 = defineMessage(
  'meridian.geo-query.tile.get.v1',
  'query',
  z
    .strictObject({
      layer: TileLayer,
      z: z.number().int().min(0).max(MAX_TILE_ZOOM),
      x: z.number().int().min(0),
      y: z.number().int().min(0),
      from: Instant.optional(),
      to: Instant.optional(),
    })
    .refine((t) => tileInGrid(t.z, t.x, t.y), 'x and y must lie within 0 … 2^z − 1')
    .refine(
      (t) => t.layer !== 'positions' || (t.from !== undefined && t.to !== undefined),
      'positions need from and to',
    )
    .refine(
      (t) => t.from === undefined || t.to === undefined || windowFault(Date.parse(t.from), Date.parse(t.to)) === null,
      `from must be before to, at most 7 days apart, both between ${MIN_TILE_INSTANT} and ${MAX_TILE_INSTANT}`,
    ),
  'One Mapbox Vector Tile (XYZ scheme, Web Mercator) of a layer; `positions` takes the window `[from, to)` ' +
    `(at most 7 days, between ${MIN_TILE_INSTANT} and ${MAX_TILE_INSTANT}), which the gateway always fills in. ` +
    'Answered with `meridian.reply.tile.v1` (binary) or a query reply error.',
);

/**
 * The successful reply to GetTileV1: the tile's bytes as the Kafka value, CloudEvents binary mode
 * with `datacontenttype` `application/vnd.mapbox-vector-tile` (an empty value is an empty tile).
 * Failures come as `meridian.reply.query.v1` errors, like every query.
 */
export const TileReplyV1 = defineMessage(
  'meridian.reply.tile.v1',
  'reply',
  z.instanceof(Uint8Array),
  'A vector tile: the Kafka value is the tile itself (application/vnd.mapbox-vector-tile), not JSON.',
);

export interface TileWindow {
  readonly from: string;
  readonly to: string;
}

/**
 * The window of a positions tile: `[from, to)` as given; one end missing is the other ∓ 1 hour;
 * none is the hour before `now`. Throws TILE.WINDOW_INVALID (also for an instant outside the years
 * 0001 … 9999, which PostgreSQL could not read) or TILE.WINDOW_TOO_LONG.
 */
export function resolveTileWindow(from: string | undefined, to: string | undefined, now: number): TileWindow {
  for (const [name, value] of [
    ['from', from],
    ['to', to],
  ] as const) {
    if (value !== undefined && !Instant.safeParse(value).success) {
      throw new CodedError(TileErrors.tileWindowInvalid, `${name} is not an RFC 3339 instant with an offset`);
    }
  }
  const end = to !== undefined ? Date.parse(to) : from !== undefined ? Date.parse(from) + DEFAULT_TILE_WINDOW_MS : now;
  const start = from !== undefined ? Date.parse(from) : end - DEFAULT_TILE_WINDOW_MS;
  const fault = windowFault(start, end);
  if (fault) throw new CodedError(fault.code, fault.message);
  return { from: from ?? new Date(start).toISOString(), to: to ?? new Date(end).toISOString() };
}
