import { Controller, Get, Inject, Query, Res } from '@nestjs/common';
import type { FastifyReply } from 'fastify';
import { z } from 'zod';
import { AssetFeature, AssetPage, ListAssetsInBboxV1 } from '@meridian/contracts/assets';
import { Bbox, ErrorCodes } from '@meridian/contracts/core';
import { GATEWAY_SETTINGS, type GatewaySettings, ServiceBus } from '@meridian/gateway/data-access';
import {
  decodeCursor,
  encodeCursor,
  GEOJSON_TYPE,
  type Link,
  pageHref,
  pageParams,
  parseOr400,
  Tenant,
} from '@meridian/gateway/util-http';

const BboxParam = z
  .string()
  .transform((s, ctx) => {
    const parts = s.split(',').map((p) => (p.trim() === '' ? Number.NaN : Number(p)));
    if (parts.length !== 4 || parts.some((n) => !Number.isFinite(n))) {
      ctx.addIssue({ code: 'custom', message: 'bbox is minLon,minLat,maxLon,maxLat' });
      return z.NEVER;
    }
    return parts;
  })
  .pipe(Bbox);

export const ListAssetsParams = z.strictObject({ bbox: z.string().optional(), ...pageParams });

export interface AssetCollection {
  readonly type: 'FeatureCollection';
  readonly features: readonly AssetFeature[];
  readonly numberReturned: number;
  readonly links: readonly Link[];
}

const PATH = '/v1/assets';

@Controller('v1/assets')
export class ListAssetsController {
  constructor(
    private readonly bus: ServiceBus,
    @Inject(GATEWAY_SETTINGS) private readonly settings: GatewaySettings,
  ) {}

  /**
   * One page of the assets whose latest position is in `bbox` (all assets without one), in id order; `next` while
   * more match.
   */
  @Get()
  async list(
    @Tenant() tenantId: string,
    @Query() query: Record<string, unknown>,
    @Res({ passthrough: true }) reply: FastifyReply,
  ): Promise<AssetCollection> {
    const params = parseOr400(ListAssetsParams, query);
    const bbox =
      params.bbox === undefined ? undefined : parseOr400(BboxParam, params.bbox, ErrorCodes.bboxInvalid, 'bbox');
    const scope = `assets:${tenantId}:${bbox?.join(',') ?? 'all'}`;
    const after = params.cursor === undefined ? undefined : decodeCursor(params.cursor, scope);
    const page = AssetPage.parse(
      await this.bus.query(
        ListAssetsInBboxV1,
        { ...(bbox ? { bbox } : {}), limit: params.limit, ...(after ? { after } : {}) },
        tenantId,
      ),
    );
    const common = { bbox: params.bbox, limit: String(params.limit) };
    const links: Link[] = [
      {
        rel: 'self',
        type: GEOJSON_TYPE,
        href: pageHref(this.settings.publicUrl, PATH, { ...common, cursor: params.cursor }),
      },
    ];
    if (page.after) {
      const cursor = encodeCursor(page.after, scope);
      links.push({
        rel: 'next',
        type: GEOJSON_TYPE,
        href: pageHref(this.settings.publicUrl, PATH, { ...common, cursor }),
      });
    }
    void reply.header('content-type', GEOJSON_TYPE);
    return { type: 'FeatureCollection', features: page.items, numberReturned: page.items.length, links };
  }
}
