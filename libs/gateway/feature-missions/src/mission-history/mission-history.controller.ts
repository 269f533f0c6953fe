import { Controller, Get, Inject, Param, Query } from '@nestjs/common';
import { z } from 'zod';
import { MissionHistoryEntry, MissionHistoryPage, MissionHistoryV1 } from '@meridian/contracts/missions';
import { GATEWAY_SETTINGS, type GatewaySettings, ServiceBus } from '@meridian/gateway/data-access';
import { RequirePermission } from '@meridian/gateway/util-auth';
import { JSON_TYPE, type Link, pageParams, parseOr400, servePage, Tenant } from '@meridian/gateway/util-http';
import { missionIdParam, versionAfter } from '../mission-commands';

export const MissionHistoryParams = z.strictObject({ ...pageParams });

export interface MissionHistoryList {
  readonly entries: readonly MissionHistoryEntry[];
  readonly numberReturned: number;
  readonly links: readonly Link[];
}

@Controller('v1/missions')
export class MissionHistoryController {
  constructor(
    private readonly bus: ServiceBus,
    @Inject(GATEWAY_SETTINGS) private readonly settings: GatewaySettings,
  ) {}

  /** Who did what and when, by version, a page at a time. */
  @Get(':id/history')
  @RequirePermission('missions:read')
  async history(
    @Tenant() tenantId: string,
    @Param('id') id: string,
    @Query() query: Record<string, unknown>,
  ): Promise<MissionHistoryList> {
    const missionId = missionIdParam(id);
    const params = parseOr400(MissionHistoryParams, query);
    const page = await servePage(
      {
        baseUrl: this.settings.publicUrl,
        path: `/v1/missions/${missionId}/history`,
        scope: `mission-history:${tenantId}:${missionId}`,
        type: JSON_TYPE,
        limit: params.limit,
        cursor: params.cursor,
      },
      async (limit, cursorAfter) => {
        const after = versionAfter(cursorAfter);
        const data = { missionId, limit, ...(after === undefined ? {} : { after }) };
        return MissionHistoryPage.parse(await this.bus.query(MissionHistoryV1, data, tenantId));
      },
    );
    return { entries: page.items, numberReturned: page.numberReturned, links: page.links };
  }
}
