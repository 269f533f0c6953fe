import { Controller, Get, Inject, Query } from '@nestjs/common';
import { z } from 'zod';
import { type AuditEntry, AuditPage, AuditQueryV1 } from '@meridian/contracts/audit';
import { GATEWAY_SETTINGS, type GatewaySettings, ServiceBus } from '@meridian/gateway/data-access';
import { RequirePermission } from '@meridian/gateway/util-auth';
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

export const AuditParams = z.strictObject({
  ...windowParams,
  actor: z.string().min(1).max(255).optional(),
  resource: z.string().min(1).max(255).optional(),
  ...pageParams,
});

export interface AuditList {
  readonly entries: readonly AuditEntry[];
  readonly numberReturned: number;
  readonly links: readonly Link[];
}

const PATH = '/v1/audit';

/** The tenant's audit trail: accepted commands and permission changes, oldest first, a page at a time. */
@Controller('v1/audit')
export class ListAuditController {
  constructor(
    private readonly bus: ServiceBus,
    @Inject(GATEWAY_SETTINGS) private readonly settings: GatewaySettings,
  ) {}

  @Get()
  @RequirePermission('audit:read')
  async list(@Tenant() tenantId: string, @Query() query: Record<string, unknown>): Promise<AuditList> {
    const params = parseOr400(AuditParams, query);
    const window = { ...(params.from ? { from: params.from } : {}), ...(params.to ? { to: params.to } : {}) };
    checkWindow(window);
    const filter = {
      ...window,
      ...(params.actor ? { actor: params.actor } : {}),
      ...(params.resource ? { resource: params.resource } : {}),
    };
    const page = await servePage(
      {
        baseUrl: this.settings.publicUrl,
        path: PATH,
        scope: `audit:${tenantId}:${JSON.stringify(filter)}`,
        type: JSON_TYPE,
        limit: params.limit,
        cursor: params.cursor,
        linkParams: { from: params.from, to: params.to, actor: params.actor, resource: params.resource },
      },
      async (limit, after) =>
        AuditPage.parse(
          await this.bus.query(AuditQueryV1, { ...filter, limit, ...(after ? { after } : {}) }, tenantId),
        ),
    );
    return { entries: page.items, numberReturned: page.numberReturned, links: page.links };
  }
}
