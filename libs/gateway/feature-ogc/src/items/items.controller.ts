import { Controller, Get, Inject, Param, Query, Req, Res } from '@nestjs/common';
import type { FastifyReply, FastifyRequest } from 'fastify';
import {
  type OgcCollectionId,
  type OgcDatetime,
  type OgcFeature,
  OgcItemsPage,
  OgcItemsV1,
} from '@meridian/contracts/ogc';
import { GATEWAY_SETTINGS, type GatewaySettings, ServiceBus } from '@meridian/gateway/data-access';
import { decodeCursor, encodeCursor, GEOJSON_TYPE, Tenant } from '@meridian/gateway/util-http';
import { readPermissionOfParam, RequirePermission } from '@meridian/gateway/util-auth';
import { collectionIdParam } from '../collections/collections.controller';
import { collectionInfo } from '../ogc-collections';
import { JSON_TYPE, OgcHrefs, type OgcLink } from '../ogc-links';
import {
  checkBboxCrs,
  formatDatetime,
  parseDatetime,
  parseLimit,
  parseOgcBbox,
  single,
  splitCursorKey,
} from '../ogc-params';
import { formatOf, send } from '../ogc-reply';

/** `positions` without `datetime`: the last 24 hours, so a client that asks for "items" gets recent history. */
export const POSITIONS_DEFAULT_WINDOW_MS = 24 * 60 * 60 * 1000;

export function defaultDatetime(collection: OgcCollectionId, now: number): OgcDatetime | undefined {
  if (collection !== 'positions') return undefined;
  return { start: new Date(now - POSITIONS_DEFAULT_WINDOW_MS).toISOString(), end: null };
}

export interface FeatureCollectionBody {
  readonly type: 'FeatureCollection';
  readonly timeStamp: string;
  /** Left out when more features match than geo-query counts (OGC API – Features Part 1 allows it). */
  readonly numberMatched?: number;
  readonly numberReturned: number;
  readonly features: OgcFeature[];
  readonly links: OgcLink[];
}

/** The items body: `numberMatched` only when geo-query counted every match (null: more than its cap). */
export function featureCollection(page: OgcItemsPage, links: OgcLink[], now: Date): FeatureCollectionBody {
  return {
    type: 'FeatureCollection',
    timeStamp: now.toISOString(),
    ...(page.numberMatched === null ? {} : { numberMatched: page.numberMatched }),
    numberReturned: page.items.length,
    features: page.items,
    links,
  };
}

const ITEMS_PARAMS = ['bbox', 'bbox-crs', 'datetime', 'limit', 'cursor'];

/** `/ogc/collections/{collectionId}/items`: one keyset page, with numberMatched and next/prev links. */
@Controller('ogc/collections')
export class ItemsController {
  private readonly hrefs: OgcHrefs;

  constructor(
    private readonly bus: ServiceBus,
    @Inject(GATEWAY_SETTINGS) settings: GatewaySettings,
  ) {
    this.hrefs = new OgcHrefs(settings.publicUrl);
  }

  @Get(':collectionId/items')
  @RequirePermission(readPermissionOfParam('collectionId'))
  async items(
    @Tenant() tenantId: string,
    @Param('collectionId') id: string,
    @Req() request: FastifyRequest,
    @Query() query: Record<string, unknown>,
    @Res({ passthrough: true }) reply: FastifyReply,
  ): Promise<FeatureCollectionBody | string> {
    const collection = collectionIdParam(id);
    const format = formatOf(request, query, ITEMS_PARAMS);
    const bboxText = single(query, 'bbox');
    const bbox = parseOgcBbox(bboxText);
    checkBboxCrs(single(query, 'bbox-crs'));
    const datetime = parseDatetime(single(query, 'datetime')) ?? defaultDatetime(collection, Date.now());
    const limit = parseLimit(single(query, 'limit'));
    const cursor = single(query, 'cursor');

    // The cursor is bound to the query it pages: tenant, collection and the filters as resolved.
    const datetimeText = datetime ? formatDatetime(datetime) : undefined;
    const scope = `ogc:${tenantId}:${collection}:${bbox ? JSON.stringify(bbox) : ''}:${datetimeText ?? ''}`;
    const position = cursor === undefined ? undefined : splitCursorKey(decodeCursor(cursor, scope));
    const page = OgcItemsPage.parse(
      await this.bus.query(
        OgcItemsV1,
        {
          collection,
          ...(bbox ? { bbox } : {}),
          ...(datetime ? { datetime } : {}),
          limit,
          direction: position?.direction ?? 'next',
          ...(position ? { after: position.key } : {}),
        },
        tenantId,
      ),
    );

    const path = `/collections/${collection}/items`;
    const title = collectionInfo[collection].title;
    const asked = { bbox: bboxText, 'bbox-crs': single(query, 'bbox-crs'), datetime: single(query, 'datetime') };
    const kept = { bbox: bboxText, datetime: datetimeText, limit: String(limit) };
    const links: OgcLink[] = [
      ...this.hrefs.selfAndAlternate(
        path,
        { ...asked, limit: single(query, 'limit'), cursor },
        format,
        GEOJSON_TYPE,
        title,
      ),
    ];
    const pageLink = (rel: 'next' | 'prev', key: string) => ({
      rel,
      type: format === 'html' ? 'text/html' : GEOJSON_TYPE,
      title: rel === 'next' ? 'Next page' : 'Previous page',
      href: this.hrefs.href(path, {
        ...kept,
        cursor: encodeCursor(`${rel === 'next' ? 'n' : 'p'}:${key}`, scope),
        ...(format === 'html' ? { f: 'html' } : {}),
      }),
    });
    if (page.after) links.push(pageLink('next', page.after));
    if (page.before) links.push(pageLink('prev', page.before));
    links.push({ rel: 'collection', type: JSON_TYPE, title, href: this.hrefs.href(`/collections/${collection}`) });

    const body = featureCollection(page, links, new Date());
    return send(reply, format, GEOJSON_TYPE, `${title}: features`, body);
  }
}
