import { randomUUID } from 'node:crypto';
import type { NestFastifyApplication } from '@nestjs/platform-fastify';
import { type OpenAPIObject, SwaggerModule } from '@nestjs/swagger';
import { resolveTenant, TenantDirectory } from '@meridian/gateway/data-access';
import { buildOpenApi, NDJSON_TYPE, sendProblem, type TenantRequest, toProblem } from '@meridian/gateway/util-http';
import { logContext } from '@meridian/shared/service-kit';
import { type GatewayConfig, publicUrlOf } from './config';

const CORRELATION_HEADER = 'x-correlation-id';
const headerValue = (v: string | string[] | undefined): string | undefined => (Array.isArray(v) ? v[0] : v);

/** Fastify-level wiring: correlation ids, tenant, NDJSON, problem+json for errors Nest's filters do not see. */
export function configureHttp(app: NestFastifyApplication, config: GatewayConfig): void {
  const fastify = app.getHttpAdapter().getInstance();
  const tenants = app.get(TenantDirectory);

  fastify.addContentTypeParser(
    NDJSON_TYPE,
    { parseAs: 'string', bodyLimit: config.GATEWAY_BODY_LIMIT_BYTES },
    (_req, body, done) => done(null, body),
  );

  fastify.addHook('onRequest', async (request, reply) => {
    const given = headerValue(request.headers[CORRELATION_HEADER]);
    const correlationId = given && /^[\w.:-]{1,128}$/.test(given) ? given : randomUUID();
    void reply.header(CORRELATION_HEADER, correlationId);
    let tenantId: string | undefined;
    if (request.url.startsWith('/v1/')) {
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
