import { randomUUID } from 'node:crypto';
import type { Logger } from 'pino';
import type { NestFastifyApplication } from '@nestjs/platform-fastify';
import { type OpenAPIObject, SwaggerModule } from '@nestjs/swagger';
import { readNdjson } from '@meridian/gateway/feature-telemetry';
import { Authentication } from '@meridian/gateway/util-auth';
import { buildOpenApi, NDJSON_TYPE, refusals, sendProblem, toProblem } from '@meridian/gateway/util-http';
import { LOGGER, logContext } from '@meridian/shared/service-kit';
import { type GatewayConfig, publicUrlOf } from './config';
import { configureConsole } from './console';
import { checkContentLength, codingOf, contentEncodingHook } from './content-encoding';

const CORRELATION_HEADER = 'x-correlation-id';
const headerValue = (v: string | string[] | undefined): string | undefined => (Array.isArray(v) ? v[0] : v);

/** Everything `main.ts` configures before listening: the request pipeline, /docs, then the console. */
export async function configureHttp(app: NestFastifyApplication, config: GatewayConfig): Promise<void> {
  configureRequests(app, config);
  configureDocs(app, config);
  await configureConsole(app, config);
}

/**
 * Fastify-level wiring: correlation ids, authentication (the tenant is the token's), gzip bodies,
 * NDJSON, problem+json for errors Nest's filters do not see.
 */
export function configureRequests(app: NestFastifyApplication, config: GatewayConfig): void {
  const fastify = app.getHttpAdapter().getInstance();
  const auth = app.get(Authentication);
  const logger = app.get<Logger>(LOGGER);
  // Refused attempts are logged (never the token) and counted: GET /internal/refusals.
  refusals.onRefusal((refusal) => logger.warn(refusal, 'request refused'));

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

  // Before routing to Nest and before the body is read: an unauthenticated request costs no parsing.
  fastify.addHook('onRequest', async (request, reply) => {
    const given = headerValue(request.headers[CORRELATION_HEADER]);
    const correlationId = given && /^[\w.:-]{1,128}$/.test(given) ? given : randomUUID();
    void reply.header(CORRELATION_HEADER, correlationId);
    // Entered before the first await, so that the rest of the request runs in it; the tenant is
    // added once the token is verified. `authenticate` enters the acting principal's scope the same way.
    const context: { correlationId: string; tenantId?: string } = { correlationId };
    logContext.enterWith(context);
    try {
      const principal = await auth.authenticate(request, reply);
      if (principal) context.tenantId = principal.tenantId;
    } catch (err) {
      sendProblem(reply, request, toProblem(err));
      return reply;
    }
    return undefined;
  });
}

/** The OpenAPI document at /openapi.json and /openapi.yaml, and Swagger UI at /docs (public paths). */
export function configureDocs(app: NestFastifyApplication, config: GatewayConfig): void {
  const document = buildOpenApi(publicUrlOf(config)) as unknown as OpenAPIObject;
  // /docs: "Authorize" takes an access token and sends it with every "Try it out".
  SwaggerModule.setup('docs', app, document, {
    jsonDocumentUrl: 'openapi.json',
    yamlDocumentUrl: 'openapi.yaml',
    swaggerOptions: { persistAuthorization: true },
  });
}
