import { Controller, Get, Query, Res } from '@nestjs/common';
import type { FastifyReply } from 'fastify';
import { z } from 'zod';
import {
  AssetKind,
  AssetStatus,
  NEAREST_DEFAULT_K,
  NEAREST_MAX_K,
  NearestAssets,
  NearestAssetsV1,
  type NearestFeature,
} from '@meridian/contracts/assets';
import { Latitude, Longitude } from '@meridian/contracts/core';
import { ServiceBus } from '@meridian/gateway/data-access';
import { GEOJSON_TYPE, numericParam, parseOr400, Tenant } from '@meridian/gateway/util-http';
import { RequirePermission } from '@meridian/gateway/util-auth';

export const NearestParams = z.strictObject({
  lon: numericParam(Longitude),
  lat: numericParam(Latitude),
  k: numericParam(z.number().int().min(1).max(NEAREST_MAX_K)).default(NEAREST_DEFAULT_K),
  kind: AssetKind.optional(),
  status: AssetStatus.optional(),
});

export interface NearestCollection {
  readonly type: 'FeatureCollection';
  readonly features: NearestFeature[];
  readonly numberReturned: number;
}

@Controller('v1/assets')
export class NearestAssetsController {
  constructor(private readonly bus: ServiceBus) {}

  /** The k assets nearest to a point by latest position, nearest first, each with `distanceMeters`. */
  @Get('nearest')
  @RequirePermission('assets:read')
  async nearest(
    @Tenant() tenantId: string,
    @Query() query: Record<string, unknown>,
    @Res({ passthrough: true }) reply: FastifyReply,
  ): Promise<NearestCollection> {
    const { lon, lat, k, kind, status } = parseOr400(NearestParams, query);
    const { items } = NearestAssets.parse(
      await this.bus.query(
        NearestAssetsV1,
        { lon, lat, k, ...(kind ? { kind } : {}), ...(status ? { status } : {}) },
        tenantId,
      ),
    );
    void reply.header('content-type', GEOJSON_TYPE);
    return { type: 'FeatureCollection', features: items, numberReturned: items.length };
  }
}
