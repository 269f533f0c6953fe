import { Controller, Get, Inject, Query, Req, Res } from '@nestjs/common';
import type { FastifyReply, FastifyRequest } from 'fastify';
import { GATEWAY_SETTINGS, type GatewaySettings } from '@meridian/gateway/data-access';
import { Public } from '@meridian/gateway/util-auth';
import { JSON_TYPE, OgcHrefs, type OgcLink } from '../ogc-links';
import { formatOf, send } from '../ogc-reply';

/** The OGC API – Features Part 1 conformance classes /ogc implements. */
export const conformanceClasses = [
  'http://www.opengis.net/spec/ogcapi-features-1/1.0/conf/core',
  'http://www.opengis.net/spec/ogcapi-features-1/1.0/conf/geojson',
  'http://www.opengis.net/spec/ogcapi-features-1/1.0/conf/html',
  'http://www.opengis.net/spec/ogcapi-features-1/1.0/conf/oas30',
];

@Controller('ogc/conformance')
export class ConformanceController {
  private readonly hrefs: OgcHrefs;

  constructor(@Inject(GATEWAY_SETTINGS) settings: GatewaySettings) {
    this.hrefs = new OgcHrefs(settings.publicUrl);
  }

  @Get()
  @Public()
  conformance(
    @Req() request: FastifyRequest,
    @Query() query: Record<string, unknown>,
    @Res({ passthrough: true }) reply: FastifyReply,
  ): { conformsTo: string[]; links: OgcLink[] } | string {
    const format = formatOf(request, query);
    const body = {
      conformsTo: conformanceClasses,
      links: this.hrefs.selfAndAlternate('/conformance', {}, format, JSON_TYPE, 'Conformance'),
    };
    return send(reply, format, JSON_TYPE, 'Conformance classes', body);
  }
}
