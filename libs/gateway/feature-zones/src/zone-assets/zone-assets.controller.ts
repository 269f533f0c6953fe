import { Controller, Get, Inject, Param, Query } from '@nestjs/common';
import { z } from 'zod';
import { AssetsInZoneV1, ZoneVisitPage } from '@meridian/contracts/zones';
import { GATEWAY_SETTINGS, type GatewaySettings, ServiceBus } from '@meridian/gateway/data-access';
import { servePage, JSON_TYPE, type Link, pageParams, parseOr400, Tenant } from '@meridian/gateway/util-http';
import { RequirePermission } from '@meridian/gateway/util-auth';
import { zoneIdParam } from '../zone-commands';

export const ZoneAssetsParams = z.strictObject({ ...pageParams });

export interface AssetsInside {
  readonly assets: readonly { readonly assetId: string; readonly enteredAt: string }[];
  readonly numberReturned: number;
  readonly links: readonly Link[];
}

@Controller('v1/zones')
export class ZoneAssetsController {
  constructor(
    private readonly bus: ServiceBus,
    @Inject(GATEWAY_SETTINGS) private readonly settings: GatewaySettings,
  ) {}

  /** The assets inside the zone now (an open stay) with the time each entered, in asset id order. */
  @Get(':id/assets')
  @RequirePermission('zones:read', 'positions:read')
  async inside(
    @Tenant() tenantId: string,
    @Param('id') id: string,
    @Query() query: Record<string, unknown>,
  ): Promise<AssetsInside> {
    const zoneId = zoneIdParam(id);
    const params = parseOr400(ZoneAssetsParams, query);
    const page = await servePage(
      {
        baseUrl: this.settings.publicUrl,
        path: `/v1/zones/${zoneId}/assets`,
        scope: `inside:${tenantId}:${zoneId}`,
        type: JSON_TYPE,
        limit: params.limit,
        cursor: params.cursor,
      },
      async (limit, after) =>
        ZoneVisitPage.parse(
          await this.bus.query(AssetsInZoneV1, { zoneId, limit, ...(after ? { after } : {}) }, tenantId),
        ),
    );
    const assets = page.items.map((v) => ({ assetId: v.assetId, enteredAt: v.enteredAt }));
    return { assets, numberReturned: page.numberReturned, links: page.links };
  }
}
