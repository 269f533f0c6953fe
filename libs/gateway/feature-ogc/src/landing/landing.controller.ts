import { Controller, Get, Inject, Query, Req, Res } from '@nestjs/common';
import type { FastifyReply, FastifyRequest } from 'fastify';
import { GATEWAY_SETTINGS, type GatewaySettings } from '@meridian/gateway/data-access';
import { Tenant } from '@meridian/gateway/util-http';
import { Authenticated } from '@meridian/gateway/util-auth';
import { HTML_TYPE, JSON_TYPE, OgcHrefs, type OgcLink, OPENAPI_TYPE } from '../ogc-links';
import { formatOf, send } from '../ogc-reply';

export interface LandingPage {
  readonly title: string;
  readonly description: string;
  readonly links: OgcLink[];
}

/** `/ogc`: where everything else is linked from (`/ogc/` redirects here: see TrailingSlashRedirect). */
@Controller('ogc')
export class LandingController {
  private readonly hrefs: OgcHrefs;

  constructor(@Inject(GATEWAY_SETTINGS) private readonly settings: GatewaySettings) {
    this.hrefs = new OgcHrefs(settings.publicUrl);
  }

  @Get()
  @Authenticated()
  landing(
    @Tenant() tenantId: string,
    @Req() request: FastifyRequest,
    @Query() query: Record<string, unknown>,
    @Res({ passthrough: true }) reply: FastifyReply,
  ): LandingPage | string {
    const format = formatOf(request, query);
    const h = this.hrefs;
    const page: LandingPage = {
      title: 'Meridian OGC API – Features',
      description: `Assets, zones and position history of tenant ${tenantId}, as OGC API – Features.`,
      links: [
        ...h.selfAndAlternate('', {}, format, JSON_TYPE, 'This page'),
        { rel: 'service-desc', type: OPENAPI_TYPE, title: 'API definition (OpenAPI 3.0)', href: h.href('/api') },
        { rel: 'service-doc', type: HTML_TYPE, title: 'API documentation', href: `${this.settings.publicUrl}/docs` },
        { rel: 'conformance', type: JSON_TYPE, title: 'Conformance classes', href: h.href('/conformance') },
        {
          rel: 'conformance',
          type: HTML_TYPE,
          title: 'Conformance classes as HTML',
          href: h.href('/conformance', { f: 'html' }),
        },
        { rel: 'data', type: JSON_TYPE, title: 'Collections', href: h.href('/collections') },
        { rel: 'data', type: HTML_TYPE, title: 'Collections as HTML', href: h.href('/collections', { f: 'html' }) },
      ],
    };
    return send(reply, format, JSON_TYPE, page.title, page);
  }
}
