import { ErrorCodes } from '@meridian/contracts/core';
import { MAX_TILE_ZOOM, MVT_MEDIA_TYPE, TileErrors, tileLayers } from '@meridian/contracts/tiles';
import { errorResponses, registerOperation } from '@meridian/gateway/util-http';

const cacheHeaders = {
  ETag: { description: 'Strong ETag of the tile bytes; send it back in `If-None-Match`.', schema: { type: 'string' } },
  'Cache-Control': {
    description:
      '`private, max-age=5` for assets and for positions windows that can still receive fixes; `private, ' +
      'max-age=60` for zones; `private, max-age=86400` for a positions window older than the oldest fix accepted.',
    schema: { type: 'string' },
  },
};

registerOperation('/v1/tiles/{layer}/{z}/{x}/{y}.mvt', 'get', () => ({
  summary: 'A Mapbox Vector Tile of assets, positions or zones',
  description:
    'XYZ tiles in Web Mercator (EPSG:3857), extent 4096, buffer 64, for MapLibre / Mapbox GL. Layers: `assets` ' +
    '(latest position of each registered asset: id, name, kind, status, ts in epoch ms, speed, heading), ' +
    '`positions` (fixes in `[from, to)`: asset_id, ts in epoch ms, speed) and `zones` (live zones: id, name, kind, ' +
    'version). A tile holds at most `GEO_QUERY_TILE_MAX_FEATURES` (default 10,000) features and 640 KiB; past ' +
    'either it holds fewer and carries a second layer `meta` with one point at the tile centre whose properties ' +
    'are `{layer, truncated: true, limit}`. Features smaller than a tile grid unit (a small zone at zoom 0) vanish. ' +
    'Below zoom `GEO_QUERY_TILE_AGGREGATE_BELOW_ZOOM` (default 10) the `positions` layer is aggregated: one point ' +
    'per H3 cell at its centre with `cell` (H3 index, hex) and `count` (fixes in the cell over the window), from ' +
    'the hourly counts kept at ingest, at a resolution chosen for the zoom (a cell a few to a few tens of pixels ' +
    'across; at most the finest of `H3_RESOLUTIONS`), for the cells whose centre lies in the tile or its buffer; ' +
    'the window is widened to whole hours, and the `meta` layer says so: `{layer: "positions", aggregated: true, ' +
    'resolution, from, to}` (`from`/`to`: the hours counted). With no stored resolution those tiles hold fixes.',
  operationId: 'getTile',
  parameters: [
    { name: 'layer', in: 'path', required: true, schema: { type: 'string', enum: [...tileLayers] } },
    { name: 'z', in: 'path', required: true, schema: { type: 'integer', minimum: 0, maximum: MAX_TILE_ZOOM } },
    { name: 'x', in: 'path', required: true, schema: { type: 'integer', minimum: 0 }, description: '0 … 2^z − 1' },
    { name: 'y', in: 'path', required: true, schema: { type: 'integer', minimum: 0 }, description: '0 … 2^z − 1' },
    {
      name: 'from',
      in: 'query',
      required: false,
      description: 'positions only: start of `[from, to)`, RFC 3339 with an offset; default `to` − 1 hour.',
      schema: { type: 'string', format: 'date-time' },
    },
    {
      name: 'to',
      in: 'query',
      required: false,
      description: 'positions only: end of `[from, to)`; default now (or `from` + 1 hour). At most 7 days long.',
      schema: { type: 'string', format: 'date-time' },
    },
    { name: 'If-None-Match', in: 'header', required: false, schema: { type: 'string' } },
  ],
  responses: {
    '200': {
      description: 'The tile.',
      headers: cacheHeaders,
      content: { [MVT_MEDIA_TYPE]: { schema: { type: 'string', format: 'binary' } } },
    },
    '204': { description: 'An empty tile: nothing of the layer lies in it.', headers: cacheHeaders },
    '304': { description: 'Not modified: the `If-None-Match` ETag is current.', headers: cacheHeaders },
    ...errorResponses(
      TileErrors.tileLayerUnknown,
      TileErrors.tileCoordinatesInvalid,
      TileErrors.tileWindowInvalid,
      TileErrors.tileWindowTooLong,
      TileErrors.tileTooLarge,
      ErrorCodes.upstreamTimeout,
    ),
  },
}));
