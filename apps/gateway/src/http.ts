import { randomUUID } from 'node:crypto';
import type { NestFastifyApplication } from '@nestjs/platform-fastify';
import { type OpenAPIObject, SwaggerModule } from '@nestjs/swagger';
import { resolveTenant, TenantDirectory } from '@meridian/gateway/data-access';
import { readNdjson } from '@meridian/gateway/feature-telemetry';
import { buildOpenApi, NDJSON_TYPE, sendProblem, type TenantRequest, toProblem } from '@meridian/gateway/util-http';
import { logContext } from '@meridian/shared/service-kit';
import { type GatewayConfig, publicUrlOf } from './config';
import { checkContentLength, codingOf, contentEncodingHook } from './content-encoding';

const CORRELATION_HEADER = 'x-correlation-id';
const headerValue = (v: string | string[] | undefined): string | undefined => (Array.isArray(v) ? v[0] : v);

/**
 * Fastify-level wiring: correlation ids, tenant, gzip bodies, NDJSON, problem+json for errors Nest's
 * filters do not see.
 */
export function configureHttp(app: NestFastifyApplication, config: GatewayConfig): void {
  const fastify = app.getHttpAdapter().getInstance();
  const tenants = app.get(TenantDirectory);

  const limits = { wireBytes: config.GATEWAY_BODY_LIMIT_BYTES, decodedBytes: config.GATEWAY_DECOMPRESSED_LIMIT_BYTES };
  fastify.addHook('preParsing', contentEncodingHook(limits));

  // Telemetry is the only NDJSON operation: its body is parsed line by line as it arrives, and
  // reading stops at the fix limit. Fastify limits only buffered bodies, so the byte limit is here.
  fastify.addContentTypeParser(NDJSON_TYPE, (request, payload, done) => {
    const identity = codingOf(request.headers) === 'identity';
    try {
      checkContentLength(request.headers, limits.wireBytes);
    } catch (err) {
      done(err as Error);
      return;
    }
    const maxBytes = identity ? limits.wireBytes : limits.decodedBytes;
    readNdjson(payload, { maxFixes: config.GATEWAY_MAX_FIXES_PER_REQUEST, maxBytes }).then(
      (fixes) => done(null, fixes),
      (err: Error) => done(err),
    );
  });

  fastify.addHook('onRequest', async (request, reply) => {
    const given = headerValue(request.headers[CORRELATION_HEADER]);
    const correlationId = given && /^[\w.:-]{1,128}$/.test(given) ? given : randomUUID();
    void reply.header(CORRELATION_HEADER, correlationId);
    let tenantId: string | undefined;
    // /ogc (OGC API – Features) is tenant-scoped like /v1.
    if (request.url.startsWith('/v1/') || /^\/ogc(\/|\?|$)/.test(request.url)) {
      try {
        tenantId = resolveTenant(request, config.GATEWAY_DEFAULT_TENANT, tenants);
        (request as TenantRequest).tenantId = tenantId;
      } catch (err) {
        sendProblem(reply, request, toProblem(err));
        return reply;
      }
    }
    logContext.enterWith({ correlationId, ...(tenantId ? { tenantId } : {}) });
    return undefined;
  });

  const document = buildOpenApi(publicUrlOf(config)) as unknown as OpenAPIObject;
  SwaggerModule.setup('docs', app, document, { jsonDocumentUrl: 'openapi.json', yamlDocumentUrl: 'openapi.yaml' });
}
