import { Controller, Get, Param, Res } from '@nestjs/common';
import type { FastifyReply } from 'fastify';
import { GetZoneV1, ZoneFeature } from '@meridian/contracts/zones';
import { ServiceBus } from '@meridian/gateway/data-access';
import { GEOJSON_TYPE, Tenant } from '@meridian/gateway/util-http';
import { RequirePermission } from '@meridian/gateway/util-auth';
import { zoneIdParam } from '../zone-commands';

@Controller('v1/zones')
export class GetZoneController {
  constructor(private readonly bus: ServiceBus) {}

  /** A GeoJSON Feature with `properties.version`, and `ETag: "<version>"` for `If-Match`. */
  @Get(':id')
  @RequirePermission('zones:read')
  async get(
    @Tenant() tenantId: string,
    @Param('id') id: string,
    @Res({ passthrough: true }) reply: FastifyReply,
  ): Promise<ZoneFeature> {
    const zoneId = zoneIdParam(id);
    const feature = ZoneFeature.parse(await this.bus.query(GetZoneV1, { zoneId }, tenantId));
    void reply.header('content-type', GEOJSON_TYPE).header('etag', `"${feature.properties.version}"`);
    return feature;
  }
}
