import { Controller, Get, Inject, Param, Query } from '@nestjs/common';
import { z } from 'zod';
import { ErrorCodes } from '@meridian/contracts/core';
import { AssetVisitsV1, type ZoneVisit, ZoneVisitPage, ZoneVisitsV1 } from '@meridian/contracts/zones';
import { GATEWAY_SETTINGS, type GatewaySettings, ServiceBus } from '@meridian/gateway/data-access';
import {
  checkWindow,
  JSON_TYPE,
  type Link,
  pageParams,
  parseOr400,
  servePage,
  Tenant,
  windowParams,
} from '@meridian/gateway/util-http';
import { RequirePermission } from '@meridian/gateway/util-auth';
import { zoneIdParam } from '../zone-commands';

export const VisitParams = z.strictObject({ ...windowParams, ...pageParams });

export interface VisitList {
  readonly visits: readonly ZoneVisit[];
  readonly numberReturned: number;
  readonly links: readonly Link[];
}

/** Stays (enter, exit — null while inside) that overlap `[from, to)`, by entry time, a page at a time. */
@Controller('v1')
export class VisitsController {
  constructor(
    private readonly bus: ServiceBus,
    @Inject(GATEWAY_SETTINGS) private readonly settings: GatewaySettings,
  ) {}

  @Get('zones/:id/visits')
  @RequirePermission('zones:read', 'positions:read')
  async ofZone(
    @Tenant() tenantId: string,
    @Param('id') id: string,
    @Query() query: Record<string, unknown>,
  ): Promise<VisitList> {
    const zoneId = zoneIdParam(id);
    return this.page(tenantId, `/v1/zones/${zoneId}/visits`, query, (window, limit, after) =>
      this.bus.query(ZoneVisitsV1, { zoneId, ...window, limit, ...(after ? { after } : {}) }, tenantId),
    );
  }

  @Get('assets/:id/visits')
  @RequirePermission('positions:read', 'zones:read')
  async ofAsset(
    @Tenant() tenantId: string,
    @Param('id') id: string,
    @Query() query: Record<string, unknown>,
  ): Promise<VisitList> {
    const assetId = parseOr400(z.uuid(), id, ErrorCodes.requestInvalid, 'id');
    return this.page(tenantId, `/v1/assets/${assetId}/visits`, query, (window, limit, after) =>
      this.bus.query(AssetVisitsV1, { assetId, ...window, limit, ...(after ? { after } : {}) }, tenantId),
    );
  }

  private async page(
    tenantId: string,
    path: string,
    query: Record<string, unknown>,
    ask: (window: { from?: string; to?: string }, limit: number, after?: string) => Promise<unknown>,
  ): Promise<VisitList> {
    const params = parseOr400(VisitParams, query);
    const window = { ...(params.from ? { from: params.from } : {}), ...(params.to ? { to: params.to } : {}) };
    checkWindow(window);
    const page = await servePage(
      {
        baseUrl: this.settings.publicUrl,
        path,
        scope: `visits:${tenantId}:${path}:${params.from ?? ''}:${params.to ?? ''}`,
        type: JSON_TYPE,
        limit: params.limit,
        cursor: params.cursor,
        linkParams: { from: params.from, to: params.to },
      },
      async (limit, after) => ZoneVisitPage.parse(await ask(window, limit, after)),
    );
    return { visits: page.items, numberReturned: page.numberReturned, links: page.links };
  }
}
