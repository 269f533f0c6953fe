import { Controller, Get, Inject, Query, Res } from '@nestjs/common';
import type { FastifyReply } from 'fastify';
import { z } from 'zod';
import { AssetFeature, AssetPage, ListAssetsInBboxV1 } from '@meridian/contracts/assets';
import { GATEWAY_SETTINGS, type GatewaySettings, ServiceBus } from '@meridian/gateway/data-access';
import {
  featureCollection,
  type FeatureCollectionPage,
  GEOJSON_TYPE,
  pageParams,
  parseBbox,
  parseOr400,
  servePage,
  Tenant,
} from '@meridian/gateway/util-http';

export const ListAssetsParams = z.strictObject({ bbox: z.string().optional(), ...pageParams });

export type AssetCollection = FeatureCollectionPage<AssetFeature>;

const PATH = '/v1/assets';

@Controller('v1/assets')
export class ListAssetsController {
  constructor(
    private readonly bus: ServiceBus,
    @Inject(GATEWAY_SETTINGS) private readonly settings: GatewaySettings,
  ) {}

  /**
   * One page of the assets whose latest position is in `bbox` (all assets without one), in id order; `next` while
   * more match.
   */
  @Get()
  async list(
    @Tenant() tenantId: string,
    @Query() query: Record<string, unknown>,
    @Res({ passthrough: true }) reply: FastifyReply,
  ): Promise<AssetCollection> {
    const params = parseOr400(ListAssetsParams, query);
    const bbox = parseBbox(params.bbox);
    const page = await servePage(
      {
        baseUrl: this.settings.publicUrl,
        path: PATH,
        scope: `assets:${tenantId}:${bbox?.join(',') ?? 'all'}`,
        type: GEOJSON_TYPE,
        limit: params.limit,
        cursor: params.cursor,
        linkParams: { bbox: params.bbox },
      },
      async (limit, after) =>
        AssetPage.parse(
          await this.bus.query(
            ListAssetsInBboxV1,
            { ...(bbox ? { bbox } : {}), limit, ...(after ? { after } : {}) },
            tenantId,
          ),
        ),
    );
    void reply.header('content-type', GEOJSON_TYPE);
    return featureCollection(page);
  }
}
