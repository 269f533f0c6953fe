import { Controller, Get, Param, Res } from '@nestjs/common';
import type { FastifyReply } from 'fastify';
import { z } from 'zod';
import { AssetFeature, GetAssetV1 } from '@meridian/contracts/assets';
import { ErrorCodes } from '@meridian/contracts/core';
import { ServiceBus } from '@meridian/gateway/data-access';
import { GEOJSON_TYPE, parseOr400, Tenant } from '@meridian/gateway/util-http';
import { RequirePermission } from '@meridian/gateway/util-auth';

@Controller('v1/assets')
export class GetAssetController {
  constructor(private readonly bus: ServiceBus) {}

  @Get(':id')
  @RequirePermission('assets:read')
  async get(
    @Tenant() tenantId: string,
    @Param('id') id: string,
    @Res({ passthrough: true }) reply: FastifyReply,
  ): Promise<AssetFeature> {
    const assetId = parseOr400(z.uuid(), id, ErrorCodes.requestInvalid, 'id');
    const feature = AssetFeature.parse(await this.bus.query(GetAssetV1, { assetId }, tenantId));
    void reply.header('content-type', GEOJSON_TYPE).header('etag', `"${feature.properties.version}"`);
    return feature;
  }
}
