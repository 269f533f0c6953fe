import 'reflect-metadata';
import type { INestApplication } from '@nestjs/common';
import { trace } from '@opentelemetry/api';
import { NestFactory } from '@nestjs/core';
import { FastifyAdapter, type NestFastifyApplication } from '@nestjs/platform-fastify';
import type { Logger } from 'pino';
import { type MessageBus, MeridianServer, type MeridianServerOptions } from '@meridian/shared/messaging';
import { METRICS_PATH, metricsFor, serveMetrics, type ServiceMetrics } from '@meridian/shared/metrics';
import { type BaseConfig, ConfigError, kafkaSecurityOf } from './config';
import { NestPinoLogger, withLogContext } from './logger';
import { BUS } from './tokens';

type DistributiveOmit<T, K extends PropertyKey> = T extends unknown ? Omit<T, K> : never;

/** A Kafka topic the service serves with its `@CommandHandler` / `@EventHandler` / `@BatchHandler` methods. */
export type ServedTopic = DistributiveOmit<MeridianServerOptions, 'log' | 'withContext'>;

export interface BootOptions {
  readonly service: string;
  readonly port: number;
  readonly config: BaseConfig;
  readonly logger: Logger;
  readonly bodyLimitBytes?: number;
  /** Runs before listen: routes, parsers, OpenAPI. */
  readonly configure?: (app: NestFastifyApplication) => Promise<void> | void;
  /**
   * The port is reachable from outside (the gateway's API): in production `/metrics` is then served
   * only on METRICS_PORT, never on this port.
   */
  readonly publicPort?: boolean;
  /** One Meridian transport server per topic; each routes to every handler declared for its topic. */
  readonly topics?: readonly ServedTopic[];
}

/**
 * Starts a service and wires graceful shutdown: on SIGTERM/SIGINT Nest stops consumers
 * (beforeApplicationShutdown), closes the HTTP server and then the connections. If that takes
 * longer than SHUTDOWN_TIMEOUT_MS the process exits anyway.
 */
export async function bootstrap(rootModule: unknown, options: BootOptions): Promise<INestApplication> {
  const { logger, config } = options;
  // Settings that need more than the schema (files, combinations) fail here, listed by main(), before
  // Nest would report them from inside a provider with a stack trace.
  kafkaSecurityOf(config);
  const app = await NestFactory.create<NestFastifyApplication>(
    rootModule as never,
    new FastifyAdapter({ bodyLimit: options.bodyLimitBytes ?? 1024 * 1024, trustProxy: true }),
    { logger: new NestPinoLogger(logger), bufferLogs: false },
  );
  // process.exit (not re-raising the signal) lets pino flush its asynchronous log buffer.
  app.enableShutdownHooks(undefined, { useProcessExit: true });
  for (const signal of ['SIGTERM', 'SIGINT'] as const) {
    process.once(signal, () => {
      logger.info({ signal }, 'shutting down');
      setTimeout(() => {
        logger.error({ timeoutMs: config.SHUTDOWN_TIMEOUT_MS }, 'shutdown took too long; exiting');
        process.exit(1);
      }, config.SHUTDOWN_TIMEOUT_MS).unref();
    });
  }
  const serveMetricsPort = await instrumentHttp(app, metricsFor(options.service), config, options);
  await options.configure?.(app);
  const bus = app.get<MessageBus>(BUS);
  for (const topic of options.topics ?? []) {
    const withContext = topic.mode === 'batch' ? {} : { withContext: withLogContext };
    const server = new MeridianServer(bus, { ...topic, log: logger, ...withContext } as MeridianServerOptions);
    app.connectMicroservice({ strategy: server });
  }
  // Migrations and topics first (module init), then consumers, then HTTP.
  await app.init();
  await app.startAllMicroservices();
  await app.listen(options.port, config.HOST);
  await serveMetricsPort();
  logger.info({ url: `http://${config.HOST}:${options.port}` }, `${options.service} listening`);
  return app;
}

/**
 * Prometheus: every response is timed under its route pattern (`/v1/assets/:id`, never the URL).
 * `/metrics` is served on the service's port, or — with METRICS_PORT — only on a listener of its
 * own, closed with the application; the service's port then answers 404 for it. Returns what starts
 * that listener: the caller runs it once the service listens, so a boot that fails before (configure,
 * init, listen) leaves no listener bound (a retry in the same process would meet EADDRINUSE).
 */
async function instrumentHttp(
  app: NestFastifyApplication,
  metrics: ServiceMetrics,
  config: BaseConfig,
  options: Pick<BootOptions, 'publicPort' | 'logger'>,
): Promise<() => Promise<void>> {
  const fastify = app.getHttpAdapter().getInstance();
  // The HTTP server span (when tracing is on) is named by its route, as OpenTelemetry's conventions
  // ask (`POST /v1/assets`), not by the method alone: the http instrumentation cannot know routes.
  fastify.addHook('onRequest', (request, _reply, done) => {
    const route = request.routeOptions.url;
    const span = route ? trace.getActiveSpan() : undefined;
    if (span?.isRecording()) {
      span.updateName(`${request.method} ${route}`);
      span.setAttribute('http.route', route as string);
    }
    done();
  });
  fastify.addHook('onResponse', (request, reply, done) => {
    metrics.http.observe(request.method, request.routeOptions.url, reply.statusCode, reply.elapsedTime / 1000);
    done();
  });
  if (config.METRICS_PORT === undefined && options.publicPort && config.NODE_ENV === 'production') {
    // A public port (the gateway's API) never serves /metrics in production: it names routes, traffic
    // and consumer groups to anyone. Scrapers use METRICS_PORT (the chart and compose set 9464).
    options.logger.warn('/metrics is not served on the public port in production; set METRICS_PORT to scrape');
    return async () => undefined;
  }
  if (config.METRICS_PORT === undefined) {
    fastify.get(METRICS_PATH, async (_request, reply) => {
      const { contentType, body } = await metrics.scrape();
      return reply.header('content-type', contentType).send(body);
    });
    return async () => undefined;
  }
  const port = config.METRICS_PORT;
  let server: { readonly close: () => Promise<void> } | null = null;
  // Hooks cannot be added once the app listens: the close hook is registered now for the later server.
  fastify.addHook('onClose', async () => server?.close());
  return async () => {
    try {
      server = await serveMetrics(metrics, port, config.HOST);
    } catch (err) {
      // The metrics port is taken: release the service's port too before failing the boot.
      await app.close();
      throw err;
    }
  };
}

/** Entry-point wrapper: a configuration error prints every problem and exits 1; anything else is logged. */
export function main(run: () => Promise<unknown>): void {
  run().catch((err: unknown) => {
    if (err instanceof ConfigError) {
      process.stderr.write(`${err.message}\n`);
    } else {
      process.stderr.write(
        `${JSON.stringify({ level: 'fatal', msg: 'failed to start', err: String((err as Error)?.stack ?? err) })}\n`,
      );
    }
    process.exit(1);
  });
}
