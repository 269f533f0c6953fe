import { defineErrors } from '@meridian/contracts/core';

export const TileErrors = defineErrors({
  tileLayerUnknown: {
    code: 'TILE.LAYER_UNKNOWN',
    status: 404,
    description: 'The tile layer is not one of `assets`, `positions`, `zones`.',
  },
  tileCoordinatesInvalid: {
    code: 'TILE.COORDINATES_INVALID',
    status: 400,
    description:
      '`z` is not an integer from 0 to 22, or `x`/`y` is not an integer from 0 to 2^z − 1, or the path does not end ' +
      'in `.mvt`.',
  },
  tileWindowInvalid: {
    code: 'TILE.WINDOW_INVALID',
    status: 400,
    description:
      '`from`/`to` are not RFC 3339 instants with an offset, lie outside the years 0001–9999 (UTC), `to` is not ' +
      'after `from`, or a window was given for a layer other than `positions` (only positions have one).',
  },
  tileWindowTooLong: {
    code: 'TILE.WINDOW_TOO_LONG',
    status: 400,
    description: 'The positions window `[from, to)` is longer than 7 days (`P7D`); ask for several shorter windows.',
  },
  tileTooLarge: {
    code: 'TILE.TOO_LARGE',
    status: 422,
    description:
      'Even with its features capped, the tile would exceed the largest reply geo-query sends ' +
      '(`GEO_QUERY_TILE_MAX_BYTES`, default 640 KiB); ask for a tile at a higher zoom.',
  },
});
