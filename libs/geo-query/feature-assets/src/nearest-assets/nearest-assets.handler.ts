import { Controller, Inject } from '@nestjs/common';
import type { Pool } from 'pg';
import { NearestAssetsV1 } from '@meridian/contracts/assets';
import { type DataOf, type Envelope, queryReply, Topics } from '@meridian/contracts/core';
import { requirePrincipal } from '@meridian/contracts/identity';
import { AssetQueries, readScope } from '@meridian/read-model/assets';
import { READ_POOL } from '@meridian/read-model/data-source';
import { QueryHandler, type ReplyBody } from '@meridian/shared/messaging';

/** The k assets nearest to a point that the principal may see (`assets:read`), nearest first (KNN, geography index). */
@Controller()
export class NearestAssetsHandler {
  private readonly queries: AssetQueries;

  constructor(@Inject(READ_POOL) pool: Pool) {
    this.queries = new AssetQueries(pool);
  }

  @QueryHandler(NearestAssetsV1, Topics.geoQueryRequests)
  async nearest(request: Envelope<DataOf<typeof NearestAssetsV1>>): Promise<ReplyBody> {
    const { lon, lat, k, kind, status } = request.data;
    const scope = readScope(requirePrincipal(request));
    const items = await this.queries.nearest(scope, { lon, lat }, k, { kind, status });
    return queryReply({ outcome: 'ok', result: { items } });
  }
}
