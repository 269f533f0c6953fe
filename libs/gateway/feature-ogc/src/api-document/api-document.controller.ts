import { Controller, Get, Inject, Query, Res } from '@nestjs/common';
import type { FastifyReply } from 'fastify';
import { GATEWAY_SETTINGS, type GatewaySettings } from '@meridian/gateway/data-access';
import type { Json } from '@meridian/gateway/util-http';
import { Public } from '@meridian/gateway/util-auth';
import { OgcHrefs, OPENAPI_TYPE } from '../ogc-links';
import { refuseUnknown } from '../ogc-params';
import { ogcOpenApiDocument } from './ogc-openapi-document';

/** `/ogc/api`: the OpenAPI 3.0 document of /ogc (built once; it depends only on the public URL). */
@Controller('ogc/api')
export class ApiDocumentController {
  private readonly document: Json;

  constructor(@Inject(GATEWAY_SETTINGS) settings: GatewaySettings) {
    this.document = ogcOpenApiDocument(new OgcHrefs(settings.publicUrl).root);
  }

  @Get()
  @Public()
  api(@Query() query: Record<string, unknown>, @Res({ passthrough: true }) reply: FastifyReply): Json {
    refuseUnknown(query, ['f']);
    void reply.header('content-type', OPENAPI_TYPE);
    return this.document;
  }
}
