import { existsSync } from 'node:fs';
import { join, resolve } from 'node:path';
import type { NestFastifyApplication } from '@nestjs/platform-fastify';
import type { Logger } from 'pino';
import { LOGGER } from '@meridian/shared/service-kit';
import { type GatewayConfig, publicUrlOf } from './config';

/** The web console's OAuth client at identity (a public client: code + PKCE). */
export const CONSOLE_CLIENT_ID = 'meridian-console';
export const CONSOLE_PATH = '/console/';

/** What the console reads at start: where to sign in and where the API is. Public, no secret in it. */
export interface ConsoleConfig {
  readonly issuer: string;
  readonly clientId: string;
  readonly api: string;
}

/**
 * The console may load only its own files, call only the API (this origin) and the issuer (token,
 * revocation); MapLibre's workers start from blob URLs. No third-party script, style, font or tile.
 */
export const consoleSecurityPolicy = (issuer: string): string =>
  [
    "default-src 'self'",
    "script-src 'self'",
    "style-src 'self' 'unsafe-inline'",
    "img-src 'self' data: blob:",
    "font-src 'self'",
    "worker-src 'self' blob:",
    `connect-src 'self' ${new URL(issuer).origin}`,
    "frame-ancestors 'none'",
    "base-uri 'none'",
    "object-src 'none'",
  ].join('; ');

/**
 * Serves the built console (`GATEWAY_CONSOLE_DIR`, `npm run console:build`) at /console/, and its
 * settings at /console/config.json. Hashed assets are cached for a year; index.html never.
 */
export async function configureConsole(app: NestFastifyApplication, config: GatewayConfig): Promise<void> {
  const fastify = app.getHttpAdapter().getInstance();
  const logger = app.get<Logger>(LOGGER);
  const root = resolve(config.GATEWAY_CONSOLE_DIR);
  const settings: ConsoleConfig = { issuer: config.OIDC_ISSUER, clientId: CONSOLE_CLIENT_ID, api: publicUrlOf(config) };
  const policy = consoleSecurityPolicy(config.OIDC_ISSUER);

  fastify.get('/console', (_request, reply) => reply.redirect(CONSOLE_PATH, 302));
  fastify.get(`${CONSOLE_PATH}config.json`, (_request, reply) =>
    reply.header('cache-control', 'no-store').type('application/json').send(settings),
  );
  if (!existsSync(join(root, 'index.html'))) {
    logger.warn({ root }, 'console not built (npm run console:build): /console/ answers 404');
    fastify.get(`${CONSOLE_PATH}*`, (_request, reply) =>
      reply
        .code(404)
        .type('text/plain; charset=utf-8')
        .send('The console is not built: run `npm run console:build`.\n'),
    );
    fastify.get(CONSOLE_PATH, (_request, reply) =>
      reply
        .code(404)
        .type('text/plain; charset=utf-8')
        .send('The console is not built: run `npm run console:build`.\n'),
    );
    return;
  }
  const { default: fastifyStatic } = await import('@fastify/static');
  await fastify.register(fastifyStatic, {
    root,
    prefix: CONSOLE_PATH,
    decorateReply: false,
    index: ['index.html'],
    setHeaders: (res, path) => {
      res.header('content-security-policy', policy);
      res.header('x-content-type-options', 'nosniff');
      res.header('referrer-policy', 'no-referrer');
      // Vite names built assets by content hash; index.html names the current ones.
      const hashed = path.includes(`${join(root, 'assets')}`);
      res.header('cache-control', hashed ? 'public, max-age=31536000, immutable' : 'no-cache');
    },
  });
  logger.info({ root }, 'console served at /console/');
}
