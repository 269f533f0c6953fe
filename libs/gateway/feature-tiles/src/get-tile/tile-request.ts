import { createHash } from 'node:crypto';
import { CodedError, type DataOf } from '@meridian/contracts/core';
import { type GetTileV1, resolveTileWindow, TileErrors, TileLayer, tileInGrid } from '@meridian/contracts/tiles';
import { problemFromCode } from '@meridian/gateway/util-http';

type TileQuery = DataOf<typeof GetTileV1>;

const INTEGER = /^(0|[1-9]\d{0,7})$/;

/**
 * The tile query of `GET /v1/tiles/{layer}/{z}/{x}/{y}.mvt?from=&to=`, or a 4xx problem: an
 * unknown layer is 404, coordinates off the grid (or a path without `.mvt`) 400, a window on a
 * layer without one, or a bad or too long positions window, 400.
 */
export function tileQuery(
  params: { layer: string; z: string; x: string; y: string },
  query: Readonly<Record<string, unknown>>,
  now: number,
): TileQuery {
  const layer = TileLayer.safeParse(params.layer);
  if (!layer.success) throw problemFromCode(TileErrors.tileLayerUnknown, `no tile layer ${params.layer}`);
  const y = /^(.*)\.mvt$/.exec(params.y)?.[1];
  const [z, x, yy] = [params.z, params.x, y ?? ''].map((v) => (INTEGER.test(v) ? Number(v) : Number.NaN));
  if (!tileInGrid(z, x, yy)) {
    throw problemFromCode(
      TileErrors.tileCoordinatesInvalid,
      `${params.z}/${params.x}/${params.y} is not a tile: z 0–22, x and y 0–2^z − 1, ending in .mvt`,
    );
  }
  const unknown = Object.keys(query).filter((k) => k !== 'from' && k !== 'to');
  if (unknown.length > 0) {
    throw problemFromCode(TileErrors.tileWindowInvalid, `unknown query parameter ${unknown.join(', ')}`);
  }
  const [from, to] = [query['from'], query['to']];
  if ((from !== undefined && typeof from !== 'string') || (to !== undefined && typeof to !== 'string')) {
    throw problemFromCode(TileErrors.tileWindowInvalid, 'from and to are given once each');
  }
  if (layer.data !== 'positions') {
    if (from !== undefined || to !== undefined) {
      throw problemFromCode(TileErrors.tileWindowInvalid, `the ${layer.data} layer has no window (from, to)`);
    }
    return { layer: layer.data, z, x, y: yy };
  }
  try {
    return { layer: layer.data, z, x, y: yy, ...resolveTileWindow(from, to, now) };
  } catch (err) {
    if (err instanceof CodedError) throw problemFromCode(err.code, err.message);
    throw err;
  }
}

/**
 * How long a client may keep a tile without asking again (always `private`: tiles are per tenant).
 * Assets move: 5 s. Zones change rarely: 60 s. A positions window that ended before the oldest fix
 * the gateway still accepts (`maxFixAgeMs`) can no longer change: a day; any other window, 5 s.
 */
export function cacheControl(q: TileQuery, now: number, maxFixAgeMs: number): string {
  if (q.layer === 'zones') return 'private, max-age=60';
  if (q.layer === 'positions' && q.to !== undefined && Date.parse(q.to) <= now - maxFixAgeMs) {
    return 'private, max-age=86400';
  }
  return 'private, max-age=5';
}

/** A strong ETag of the tile's bytes: the same bytes, the same tag, on every gateway instance. */
export const etagOf = (tile: Uint8Array): string =>
  `"${createHash('sha256').update(tile).digest('base64url').slice(0, 27)}"`;

/** `If-None-Match` lists `etag` (or is `*`): the client's copy is current (RFC 9110 §13.1.2, weak comparison). */
export function notModified(ifNoneMatch: string | undefined, etag: string): boolean {
  if (ifNoneMatch === undefined) return false;
  if (ifNoneMatch.trim() === '*') return true;
  return ifNoneMatch.split(',').some((t) => t.trim().replace(/^W\//, '') === etag);
}
