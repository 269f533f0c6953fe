import { Controller, Inject } from '@nestjs/common';
import { type DataOf, type Envelope, Topics } from '@meridian/contracts/core';
import { requirePrincipal } from '@meridian/contracts/identity';
import { GetTileV1, MVT_MEDIA_TYPE, TileReplyV1 } from '@meridian/contracts/tiles';
import { readScope } from '@meridian/read-model/assets';
import { TileQueries, type TileLimits } from '@meridian/read-model/tiles';
import { QueryHandler, type ReplyBody } from '@meridian/shared/messaging';
import { TILE_LIMITS } from '../tile-settings';

/**
 * One vector tile, answered in CloudEvents binary mode: the reply's Kafka value is the tile.
 * A capped tile says so in its `meta` layer; one too large even when cut is TILE.TOO_LARGE. It
 * holds what the principal may see of the layer (TileQueries filters each layer's rows).
 */
@Controller()
export class GetTileHandler {
  constructor(
    private readonly tiles: TileQueries,
    @Inject(TILE_LIMITS) private readonly limits: TileLimits,
  ) {}

  @QueryHandler(GetTileV1, Topics.geoQueryRequests)
  async get(request: Envelope<DataOf<typeof GetTileV1>>): Promise<ReplyBody> {
    const { layer, z, x, y, from, to } = request.data;
    const window = layer === 'positions' && from && to ? { from, to } : undefined;
    const scope = readScope(requirePrincipal(request));
    const tile = await this.tiles.tile(layer, scope, { z, x, y }, this.limits, window);
    return {
      type: TileReplyV1.type,
      dataschema: TileReplyV1.dataschema,
      datacontenttype: MVT_MEDIA_TYPE,
      data: tile.bytes,
    };
  }
}
