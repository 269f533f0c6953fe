import { Controller, Inject } from '@nestjs/common';
import type { Pool } from 'pg';
import { ListAssetsInBboxV1 } from '@meridian/contracts/assets';
import { type DataOf, type Envelope, queryReply, Topics } from '@meridian/contracts/core';
import { requirePrincipal } from '@meridian/contracts/identity';
import { AssetQueries, readScope } from '@meridian/read-model/assets';
import { READ_POOL } from '@meridian/read-model/data-source';
import { QueryHandler, type ReplyBody } from '@meridian/shared/messaging';

/**
 * One keyset page of the assets in a bbox, or of all of them (raw SQL, EXPLAIN-checked), that the
 * principal may see (`assets:read`: region, clearance, team).
 */
@Controller()
export class ListAssetsHandler {
  private readonly queries: AssetQueries;

  constructor(@Inject(READ_POOL) pool: Pool) {
    this.queries = new AssetQueries(pool);
  }

  @QueryHandler(ListAssetsInBboxV1, Topics.geoQueryRequests)
  async list(request: Envelope<DataOf<typeof ListAssetsInBboxV1>>): Promise<ReplyBody> {
    const { bbox, limit, after } = request.data;
    const scope = readScope(requirePrincipal(request));
    const page = bbox
      ? await this.queries.inBbox(scope, bbox, limit, after)
      : await this.queries.all(scope, limit, after);
    return queryReply({ outcome: 'ok', result: page });
  }
}
