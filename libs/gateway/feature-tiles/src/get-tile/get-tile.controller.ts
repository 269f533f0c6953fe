import { Controller, Get, Headers, Inject, Param, Query, Res } from '@nestjs/common';
import type { FastifyReply } from 'fastify';
import { GetTileV1, MVT_MEDIA_TYPE, TileReplyV1 } from '@meridian/contracts/tiles';
import { GATEWAY_SETTINGS, type GatewaySettings, ServiceBus } from '@meridian/gateway/data-access';
import { Tenant } from '@meridian/gateway/util-http';
import { readPermissionOfParam, RequirePermission } from '@meridian/gateway/util-auth';
import { cacheControl, etagOf, notModified, tileQuery } from './tile-request';

/**
 * `GET /v1/tiles/{layer}/{z}/{x}/{y}.mvt`: a Mapbox Vector Tile from geo-query, with a strong ETag
 * of its bytes (`If-None-Match` → 304) and a Cache-Control by layer. An empty tile is a 204.
 */
@Controller('v1/tiles')
export class GetTileController {
  constructor(
    private readonly bus: ServiceBus,
    @Inject(GATEWAY_SETTINGS) private readonly settings: GatewaySettings,
  ) {}

  // find-my-way cannot end a parameter with a static `.mvt`; `y` keeps it and tileQuery strips it.
  @Get(':layer/:z/:x/:y')
  @RequirePermission(readPermissionOfParam('layer'))
  async get(
    @Tenant() tenantId: string,
    @Param() params: { layer: string; z: string; x: string; y: string },
    @Query() query: Record<string, unknown>,
    @Headers('if-none-match') ifNoneMatch: string | undefined,
    @Res() reply: FastifyReply,
  ): Promise<void> {
    const now = Date.now();
    const request = tileQuery(params, query, now);
    const tile = await this.bus.queryBinary(GetTileV1, request, tenantId, TileReplyV1.type);
    const etag = etagOf(tile);
    void reply
      .header('etag', etag)
      .header('cache-control', cacheControl(request, now, this.settings.maxFixAgeMs))
      .header('vary', 'Authorization');
    if (notModified(ifNoneMatch, etag)) {
      await reply.code(304).send();
      return;
    }
    if (tile.length === 0) {
      await reply.code(204).send();
      return;
    }
    await reply.code(200).header('content-type', MVT_MEDIA_TYPE).send(tile);
  }
}
