import { Controller, Get, Inject, Param, Query, Req, Res } from '@nestjs/common';
import type { FastifyReply, FastifyRequest } from 'fastify';
import { OgcErrors, OgcFeature, OgcFeatureV1 } from '@meridian/contracts/ogc';
import { GATEWAY_SETTINGS, type GatewaySettings, ServiceBus } from '@meridian/gateway/data-access';
import { GEOJSON_TYPE, problemFromCode, Tenant } from '@meridian/gateway/util-http';
import { readPermissionOfParam, RequirePermission } from '@meridian/gateway/util-auth';
import { collectionIdParam } from '../collections/collections.controller';
import { collectionInfo } from '../ogc-collections';
import { JSON_TYPE, OgcHrefs, type OgcLink } from '../ogc-links';
import { formatOf, send } from '../ogc-reply';

/** `/ogc/collections/{collectionId}/items/{featureId}`: one feature with self/alternate/collection links. */
@Controller('ogc/collections')
export class FeatureController {
  private readonly hrefs: OgcHrefs;

  constructor(
    private readonly bus: ServiceBus,
    @Inject(GATEWAY_SETTINGS) settings: GatewaySettings,
  ) {
    this.hrefs = new OgcHrefs(settings.publicUrl);
  }

  @Get(':collectionId/items/:featureId')
  @RequirePermission(readPermissionOfParam('collectionId'))
  async feature(
    @Tenant() tenantId: string,
    @Param('collectionId') id: string,
    @Param('featureId') featureId: string,
    @Req() request: FastifyRequest,
    @Query() query: Record<string, unknown>,
    @Res({ passthrough: true }) reply: FastifyReply,
  ): Promise<(OgcFeature & { links: OgcLink[] }) | string> {
    const collection = collectionIdParam(id);
    const format = formatOf(request, query);
    if (featureId.length > 200) throw problemFromCode(OgcErrors.featureNotFound, 'no feature with so long an id');
    const feature = OgcFeature.parse(await this.bus.query(OgcFeatureV1, { collection, featureId }, tenantId));
    const title = collectionInfo[collection].title;
    const path = `/collections/${collection}/items/${encodeURIComponent(feature.id)}`;
    const body = {
      ...feature,
      links: [
        ...this.hrefs.selfAndAlternate(path, {}, format, GEOJSON_TYPE, `Feature ${feature.id}`),
        { rel: 'collection', type: JSON_TYPE, title, href: this.hrefs.href(`/collections/${collection}`) },
      ],
    };
    return send(reply, format, GEOJSON_TYPE, `${title}: ${feature.id}`, body);
  }
}
