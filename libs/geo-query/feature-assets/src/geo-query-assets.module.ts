import { Inject, Injectable, Module } from '@nestjs/common';
import type { Pool } from 'pg';
import type { Logger } from 'pino';
import {
  AssetsExistV1,
  CodedError,
  ErrorCodes,
  GetAssetV1,
  ListAssetsInBboxV1,
  parseData,
  queryRejection,
  queryReply,
  requireTenant,
  Topics,
} from '@meridian/contracts';
import type { MessageBus, ReplyBody } from '@meridian/shared/messaging';
import { BUS, LOGGER, PG_POOL, RequestServer, type RequestServerOptions } from '@meridian/shared/service-kit';
import { AssetQueries } from './asset-queries.sql';


const ok = (result: unknown): ReplyBody => queryReply({ outcome: 'ok', result });

/** Serves `meridian.geo-query.requests` from the PostGIS read models. */
@Injectable()
export class AssetQueryServer extends RequestServer {
  private readonly queries: AssetQueries;

  constructor(@Inject(BUS) bus: MessageBus, @Inject(LOGGER) logger: Logger, @Inject(PG_POOL) pool: Pool) {
    super(bus, logger);
    this.queries = new AssetQueries(pool);
  }

  protected serving(): RequestServerOptions {
    const q = this.queries;
    return {
      service: 'geo-query',
      topic: Topics.geoQueryRequests,
      groupId: 'geo-query.requests',
      rejection: queryRejection,
      routes: {
        [GetAssetV1.type]: async (r) => {
          const { assetId } = parseData(GetAssetV1, r);
          const feature = await q.get(requireTenant(r), assetId);
          if (!feature) throw new CodedError(ErrorCodes.assetNotFound, `asset ${assetId} not found`);
          return ok(feature);
        },
        [ListAssetsInBboxV1.type]: async (r) => {
          const { bbox, limit } = parseData(ListAssetsInBboxV1, r);
          const features = await q.inBbox(requireTenant(r), bbox, limit);
          return ok({ type: 'FeatureCollection', features, numberReturned: features.length });
        },
        [AssetsExistV1.type]: async (r) => {
          const { assetIds } = parseData(AssetsExistV1, r);
          return ok({ existing: await q.existing(requireTenant(r), assetIds) });
        },
      },
    };
  }
}

@Module({ providers: [AssetQueryServer] })
export class GeoQueryAssetsModule {}
