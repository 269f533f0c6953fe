import { Controller, Get, Inject, Query, Res } from '@nestjs/common';
import type { FastifyReply } from 'fastify';
import { z } from 'zod';
import { ListZonesV1, type ZoneFeature, ZoneKind, ZonePage } from '@meridian/contracts/zones';
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
import { RequirePermission } from '@meridian/gateway/util-auth';

export const ListZonesParams = z.strictObject({
  bbox: z.string().optional(),
  kind: ZoneKind.optional(),
  ...pageParams,
});

export type ZoneCollection = FeatureCollectionPage<ZoneFeature>;

const PATH = '/v1/zones';

@Controller('v1/zones')
export class ListZonesController {
  constructor(
    private readonly bus: ServiceBus,
    @Inject(GATEWAY_SETTINGS) private readonly settings: GatewaySettings,
  ) {}

  /** One page of the zones that are not archived (intersecting `bbox` and of `kind` when given), in id order. */
  @Get()
  @RequirePermission('zones:read')
  async list(
    @Tenant() tenantId: string,
    @Query() query: Record<string, unknown>,
    @Res({ passthrough: true }) reply: FastifyReply,
  ): Promise<ZoneCollection> {
    const params = parseOr400(ListZonesParams, query);
    const bbox = parseBbox(params.bbox);
    const page = await servePage(
      {
        baseUrl: this.settings.publicUrl,
        path: PATH,
        // Without a kind the scope is what it was before kinds, so cursors already handed out stay valid.
        scope: `zones:${tenantId}:${bbox?.join(',') ?? 'all'}${params.kind ? `:kind=${params.kind}` : ''}`,
        type: GEOJSON_TYPE,
        limit: params.limit,
        cursor: params.cursor,
        linkParams: { bbox: params.bbox, kind: params.kind },
      },
      async (limit, after) =>
        ZonePage.parse(
          await this.bus.query(
            ListZonesV1,
            {
              ...(bbox ? { bbox } : {}),
              ...(params.kind ? { kind: params.kind } : {}),
              limit,
              ...(after ? { after } : {}),
            },
            tenantId,
          ),
        ),
    );
    void reply.header('content-type', GEOJSON_TYPE);
    return featureCollection(page);
  }
}
