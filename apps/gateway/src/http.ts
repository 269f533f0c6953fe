import { randomUUID } from 'node:crypto';
import type { NestFastifyApplication } from '@nestjs/platform-fastify';
import { SwaggerModule, type OpenAPIObject } from '@nestjs/swagger';
import type { FastifyRequest } from 'fastify';
import { ErrorCodes } from '@meridian/contracts';
import { buildOpenApi, ProblemException, resolveTenant, sendProblem, TenantDirectory, toProblem } from '@meridian/gateway/feature-assets';
import { logContext } from '@meridian/shared/service-kit';
import type { GatewayConfig } from './config';

const CORRELATION_HEADER = 'x-correlation-id';
const headerValue = (v: string | string[] | undefined): string | undefined => (Array.isArray(v) ? v[0] : v);

const BODY_METHODS = new Set(['POST', 'PUT', 'PATCH']);

/** Request bodies are JSON, or NDJSON for telemetry; anything else is a 415, not a confusing 400. */
function requireMediaType(request: FastifyRequest): void {
  if (!BODY_METHODS.has(request.method)) return;
  const type = (request.headers['content-type'] ?? '').split(';')[0].trim().toLowerCase();
  const allowed = request.url.startsWith('/v1/telemetry') ? ['application/json', 'application/x-ndjson'] : ['application/json'];
  if (!allowed.includes(type)) {
    throw new ProblemException(415, ErrorCodes.requestUnsupportedMediaType, 'request: unsupported media type', `expected ${allowed.join(' or ')}, got ${type || 'none'}`);
  }
}

/** Fastify-level wiring: correlation ids, tenant, NDJSON, problem+json for errors Nest's filters do not see. */
export function configureHttp(app: NestFastifyApplication, config: GatewayConfig): void {
  const fastify = app.getHttpAdapter().getInstance();
  const tenants = app.get(TenantDirectory);

  fastify.addContentTypeParser('application/x-ndjson', { parseAs: 'string', bodyLimit: config.GATEWAY_BODY_LIMIT_BYTES }, (_req, body, done) =>
    done(null, body),
  );

  fastify.addHook('onRequest', async (request, reply) => {
    const given = headerValue(request.headers[CORRELATION_HEADER]);
    const correlationId = given && /^[\w.:-]{1,128}$/.test(given) ? given : randomUUID();
    void reply.header(CORRELATION_HEADER, correlationId);
    let tenantId: string | undefined;
    if (request.url.startsWith('/v1/')) {
      try {
        requireMediaType(request);
        tenantId = resolveTenant(request, config.GATEWAY_DEFAULT_TENANT, tenants);
        (request as FastifyRequest & { tenantId?: string }).tenantId = tenantId;
      } catch (err) {
        sendProblem(reply, request, toProblem(err));
        return reply;
      }
    }
    logContext.enterWith({ correlationId, ...(tenantId ? { tenantId } : {}) });
    return undefined;
  });


  const url = config.GATEWAY_PUBLIC_URL ?? `http://${config.HOST}:${config.GATEWAY_PORT}`;
  const document = buildOpenApi(url) as unknown as OpenAPIObject;
  SwaggerModule.setup('docs', app, document, { jsonDocumentUrl: 'openapi.json', yamlDocumentUrl: 'openapi.yaml' });
}
