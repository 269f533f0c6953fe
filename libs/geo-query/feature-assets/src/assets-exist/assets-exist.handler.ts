import { Controller, Inject } from '@nestjs/common';
import type { Pool } from 'pg';
import { AssetsExistV1 } from '@meridian/contracts/assets';
import { type DataOf, type Envelope, queryReply, Topics } from '@meridian/contracts/core';
import { requireTenant } from '@meridian/contracts/identity';
import { AssetQueries } from '@meridian/read-model/assets';
import { READ_POOL } from '@meridian/read-model/data-source';
import { QueryHandler, type ReplyBody } from '@meridian/shared/messaging';

/**
 * Which of these ids are assets of the tenant: the gateway's check of telemetry. Tenant-scoped only,
 * not filtered by the principal's region, clearance or teams: ingest is authorized by role
 * (`telemetry:ingest`) at the gateway, and a device reports its own asset wherever it is
 * (docs/permissions.md, "Row filters in geo-query's queries").
 */
@Controller()
export class AssetsExistHandler {
  private readonly queries: AssetQueries;

  constructor(@Inject(READ_POOL) pool: Pool) {
    this.queries = new AssetQueries(pool);
  }

  @QueryHandler(AssetsExistV1, Topics.geoQueryRequests)
  async exist(request: Envelope<DataOf<typeof AssetsExistV1>>): Promise<ReplyBody> {
    const existing = await this.queries.existing(requireTenant(request), request.data.assetIds);
    return queryReply({ outcome: 'ok', result: { existing } });
  }
}
