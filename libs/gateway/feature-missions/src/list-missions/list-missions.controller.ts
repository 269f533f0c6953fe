import { Controller, Get, Inject, Query } from '@nestjs/common';
import { z } from 'zod';
import { ListMissionsV1, type Mission, MissionPage, MissionStateName } from '@meridian/contracts/missions';
import { GATEWAY_SETTINGS, type GatewaySettings, ServiceBus } from '@meridian/gateway/data-access';
import { RequirePermission } from '@meridian/gateway/util-auth';
import {
  checkWindow,
  JSON_TYPE,
  type Link,
  pageParams,
  parseBbox,
  parseOr400,
  servePage,
  Tenant,
  windowParams,
} from '@meridian/gateway/util-http';

export const ListMissionsParams = z.strictObject({
  state: MissionStateName.optional(),
  bbox: z.string().optional(),
  ...windowParams,
  ...pageParams,
});

export interface MissionList {
  readonly missions: readonly Mission[];
  readonly numberReturned: number;
  readonly links: readonly Link[];
}

const PATH = '/v1/missions';

@Controller('v1/missions')
export class ListMissionsController {
  constructor(
    private readonly bus: ServiceBus,
    @Inject(GATEWAY_SETTINGS) private readonly settings: GatewaySettings,
  ) {}

  /** One page of the missions in `state`, whose area meets `bbox` and whose window overlaps `[from, to)`, by id. */
  @Get()
  @RequirePermission('missions:read')
  async list(@Tenant() tenantId: string, @Query() query: Record<string, unknown>): Promise<MissionList> {
    const params = parseOr400(ListMissionsParams, query);
    const bbox = parseBbox(params.bbox);
    const window = { ...(params.from ? { from: params.from } : {}), ...(params.to ? { to: params.to } : {}) };
    checkWindow(window);
    const filter = { ...(params.state ? { state: params.state } : {}), ...(bbox ? { bbox } : {}), ...window };
    const page = await servePage(
      {
        baseUrl: this.settings.publicUrl,
        path: PATH,
        scope: `missions:${tenantId}:${JSON.stringify(filter)}`,
        type: JSON_TYPE,
        limit: params.limit,
        cursor: params.cursor,
        linkParams: { state: params.state, bbox: params.bbox, from: params.from, to: params.to },
      },
      async (limit, after) =>
        MissionPage.parse(
          await this.bus.query(ListMissionsV1, { ...filter, limit, ...(after ? { after } : {}) }, tenantId),
        ),
    );
    return { missions: page.items, numberReturned: page.numberReturned, links: page.links };
  }
}
