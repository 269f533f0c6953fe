import { Controller, Get, Inject, Query, Res } from '@nestjs/common';
import type { FastifyReply } from 'fastify';
import { z } from 'zod';
import { ErrorCodes } from '@meridian/contracts/core';
import {
  AssetFeature,
  AssetPage,
  AssetsAtV1,
  ListAssetsInBboxV1,
  MAX_AGE_DEFAULT_SECONDS,
  MAX_AGE_MAX_SECONDS,
} from '@meridian/contracts/assets';
import { GATEWAY_SETTINGS, type GatewaySettings, ServiceBus } from '@meridian/gateway/data-access';
import {
  featureCollection,
  type FeatureCollectionPage,
  GEOJSON_TYPE,
  invalid,
  numericParam,
  pageParams,
  parseBbox,
  parseOr400,
  servePage,
  Tenant,
} from '@meridian/gateway/util-http';
import { RequirePermission, whenQueryHas } from '@meridian/gateway/util-auth';

export const ListAssetsParams = z.strictObject({
  bbox: z.string().optional(),
  /** Where each asset was at this instant (RFC 3339 with an offset). */
  at: z.iso.datetime({ offset: true }).optional(),
  /** With `at`: how old (seconds) the last fix before `at` may be. */
  maxAge: numericParam(z.number().int().min(1).max(MAX_AGE_MAX_SECONDS)).optional(),
  ...pageParams,
});

export type AssetCollection = FeatureCollectionPage<AssetFeature>;

const PATH = '/v1/assets';

@Controller('v1/assets')
export class ListAssetsController {
  constructor(
    private readonly bus: ServiceBus,
    @Inject(GATEWAY_SETTINGS) private readonly settings: GatewaySettings,
  ) {}

  /**
   * One page of the assets whose latest position is in `bbox` (all assets without one), in id order; `next` while
   * more match. With `at`: where each asset was at that instant (its last fix at or before it, at most `maxAge`
   * seconds old), and only assets with such a fix.
   */
  @Get()
  @RequirePermission('assets:read', whenQueryHas('at', 'positions:read'))
  async list(
    @Tenant() tenantId: string,
    @Query() query: Record<string, unknown>,
    @Res({ passthrough: true }) reply: FastifyReply,
  ): Promise<AssetCollection> {
    const params = parseOr400(ListAssetsParams, query);
    const bbox = parseBbox(params.bbox);
    if (params.maxAge !== undefined && params.at === undefined) {
      throw invalid(ErrorCodes.requestInvalid, 'maxAge needs at');
    }
    if (params.at !== undefined)
      return this.at(tenantId, params.at, params.maxAge ?? MAX_AGE_DEFAULT_SECONDS, params, reply);
    const page = await servePage(
      {
        baseUrl: this.settings.publicUrl,
        path: PATH,
        scope: `assets:${tenantId}:${bbox?.join(',') ?? 'all'}`,
        type: GEOJSON_TYPE,
        limit: params.limit,
        cursor: params.cursor,
        linkParams: { bbox: params.bbox },
      },
      async (limit, after) =>
        AssetPage.parse(
          await this.bus.query(
            ListAssetsInBboxV1,
            { ...(bbox ? { bbox } : {}), limit, ...(after ? { after } : {}) },
            tenantId,
          ),
        ),
    );
    void reply.header('content-type', GEOJSON_TYPE);
    return featureCollection(page);
  }

  private async at(
    tenantId: string,
    at: string,
    maxAgeSeconds: number,
    params: z.infer<typeof ListAssetsParams>,
    reply: FastifyReply,
  ): Promise<AssetCollection> {
    const bbox = parseBbox(params.bbox);
    const page = await servePage(
      {
        baseUrl: this.settings.publicUrl,
        path: PATH,
        scope: `assets-at:${tenantId}:${bbox?.join(',') ?? 'all'}:${Date.parse(at)}:${maxAgeSeconds}`,
        type: GEOJSON_TYPE,
        limit: params.limit,
        cursor: params.cursor,
        linkParams: { bbox: params.bbox, at, maxAge: String(maxAgeSeconds) },
      },
      async (limit, after) =>
        AssetPage.parse(
          await this.bus.query(
            AssetsAtV1,
            { at, maxAgeSeconds, ...(bbox ? { bbox } : {}), limit, ...(after ? { after } : {}) },
            tenantId,
          ),
        ),
    );
    void reply.header('content-type', GEOJSON_TYPE);
    return featureCollection(page);
  }
}
