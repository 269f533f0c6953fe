import { type BeforeApplicationShutdown, Inject, Injectable, Module, type OnApplicationBootstrap } from '@nestjs/common';
import type { Pool } from 'pg';
import type { Logger } from 'pino';
import {
  AssetsExistV1,
  CodedError,
  type Envelope,
  ErrorCodes,
  GetAssetV1,
  ListAssetsInBboxV1,
  parseData,
  queryRejection,
  queryReply,
  TenantId,
  Topics,
} from '@meridian/contracts';
import { type MessageBus, type ReplyBody, serveRequests, type Subscription } from '@meridian/shared/messaging';
import { BUS, LOGGER, PG_POOL, withLogContext } from '@meridian/shared/service-kit';
import { AssetQueries } from './asset-queries.sql';

const tenantOf = (request: Envelope): string => {
  const parsed = TenantId.safeParse(request.tenantId);
  if (!parsed.success) throw new CodedError(ErrorCodes.tenantInvalid, 'query without a valid tenant-id header');
  return parsed.data;
};

const ok = (result: unknown): ReplyBody => queryReply({ outcome: 'ok', result });

/** Serves `meridian.geo-query.requests` from the PostGIS read models. */
@Injectable()
export class AssetQueryServer implements OnApplicationBootstrap, BeforeApplicationShutdown {
  private subscription: Subscription | null = null;

  constructor(
    @Inject(PG_POOL) private readonly pool: Pool,
    @Inject(BUS) private readonly bus: MessageBus,
    @Inject(LOGGER) private readonly logger: Logger,
  ) {}

  async onApplicationBootstrap(): Promise<void> {
    const q = new AssetQueries(this.pool);
    this.subscription = await serveRequests(this.bus, {
      service: 'geo-query',
      topic: Topics.geoQueryRequests,
      groupId: 'geo-query.requests',
      log: this.logger,
      rejection: queryRejection,
      withContext: withLogContext,
      routes: {
        [GetAssetV1.type]: async (r) => {
          const { assetId } = parseData(GetAssetV1, r);
          const feature = await q.get(tenantOf(r), assetId);
          if (!feature) throw new CodedError(ErrorCodes.assetNotFound, `asset ${assetId} not found`);
          return ok(feature);
        },
        [ListAssetsInBboxV1.type]: async (r) => {
          const { bbox, limit } = parseData(ListAssetsInBboxV1, r);
          const features = await q.inBbox(tenantOf(r), bbox, limit);
          return ok({ type: 'FeatureCollection', features, numberReturned: features.length });
        },
        [AssetsExistV1.type]: async (r) => {
          const { assetIds } = parseData(AssetsExistV1, r);
          return ok({ existing: await q.existing(tenantOf(r), assetIds) });
        },
      },
    });
  }

  async beforeApplicationShutdown(): Promise<void> {
    await this.subscription?.stop();
  }
}

@Module({ providers: [AssetQueryServer] })
export class GeoQueryAssetsModule {}
