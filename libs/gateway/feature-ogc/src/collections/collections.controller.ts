import { Controller, Get, Inject, Param, Query, Req, Res } from '@nestjs/common';
import type { FastifyReply, FastifyRequest } from 'fastify';
import { OgcCollectionId, OgcCollectionsV1, OgcErrors, OgcExtents } from '@meridian/contracts/ogc';
import { GATEWAY_SETTINGS, type GatewaySettings, ServiceBus } from '@meridian/gateway/data-access';
import { problemFromCode, Tenant } from '@meridian/gateway/util-http';
import { readPermissionOfParam, RequirePermission } from '@meridian/gateway/util-auth';
import { type CollectionDocument, collectionDocument } from '../ogc-collections';
import { JSON_TYPE, OgcHrefs, type OgcLink } from '../ogc-links';
import { formatOf, send } from '../ogc-reply';

/** An unknown collection is a 404 with a code (before any parameter is looked at). */
export function collectionIdParam(id: string): OgcCollectionId {
  const parsed = OgcCollectionId.safeParse(id);
  if (!parsed.success) throw problemFromCode(OgcErrors.collectionNotFound, `no collection '${id}'`);
  return parsed.data;
}

/** `/ogc/collections` and `/ogc/collections/{collectionId}`, with the tenant's extents. */
@Controller('ogc/collections')
export class CollectionsController {
  private readonly hrefs: OgcHrefs;

  constructor(
    private readonly bus: ServiceBus,
    @Inject(GATEWAY_SETTINGS) settings: GatewaySettings,
  ) {
    this.hrefs = new OgcHrefs(settings.publicUrl);
  }

  @Get()
  @RequirePermission('assets:read', 'zones:read', 'positions:read')
  async collections(
    @Tenant() tenantId: string,
    @Req() request: FastifyRequest,
    @Query() query: Record<string, unknown>,
    @Res({ passthrough: true }) reply: FastifyReply,
  ): Promise<{ links: OgcLink[]; collections: CollectionDocument[] } | string> {
    const format = formatOf(request, query);
    const extents = OgcExtents.parse(await this.bus.query(OgcCollectionsV1, {}, tenantId));
    const body = {
      links: this.hrefs.selfAndAlternate('/collections', {}, format, JSON_TYPE, 'Collections'),
      collections: extents.collections.map((e) => collectionDocument(this.hrefs, e, format)),
    };
    return send(reply, format, JSON_TYPE, 'Collections', body);
  }

  @Get(':collectionId')
  @RequirePermission(readPermissionOfParam('collectionId'))
  async collection(
    @Tenant() tenantId: string,
    @Param('collectionId') id: string,
    @Req() request: FastifyRequest,
    @Query() query: Record<string, unknown>,
    @Res({ passthrough: true }) reply: FastifyReply,
  ): Promise<CollectionDocument | string> {
    const collection = collectionIdParam(id);
    const format = formatOf(request, query);
    const extents = OgcExtents.parse(await this.bus.query(OgcCollectionsV1, {}, tenantId));
    const extent = extents.collections.find((e) => e.id === collection);
    if (!extent) throw problemFromCode(OgcErrors.collectionNotFound, `no collection '${id}'`);
    const body = collectionDocument(this.hrefs, extent, format);
    return send(reply, format, JSON_TYPE, body.title, body);
  }
}
