import type { IncomingMessage } from 'node:http';
import { createRequire } from 'node:module';
import type { DiagLogger } from '@opentelemetry/api';

/** The parts of the SDK this module uses, loaded only when tracing is on. */
type SdkNode = typeof import('@opentelemetry/sdk-node');
type AutoInstrumentations = typeof import('@opentelemetry/auto-instrumentations-node');
type InstrumentationConfigs = NonNullable<Parameters<AutoInstrumentations['getNodeAutoInstrumentations']>[0]>;

export interface RunningTracing {
  readonly serviceName: string;
  /** Flushes the spans still queued and stops the SDK; later spans are dropped. */
  shutdown(): Promise<void>;
}

/** How long an exit waits for the last spans to reach the collector. */
const FLUSH_ON_EXIT_MS = 3000;

/** Probes and scrapes arrive every few seconds: a trace each would drown the real ones. */
const UNTRACED_PATHS = /^\/(health\/|metrics(\/|\?|$))/;

/**
 * The instrumentations: the auto-instrumentations' defaults (with environment overrides,
 * `OTEL_NODE_ENABLED_INSTRUMENTATIONS` / `OTEL_NODE_DISABLED_INSTRUMENTATIONS`), tuned here.
 */
function instrumentationConfigs(): InstrumentationConfigs {
  return {
    // Off whatever the environment says. Meridian propagates trace context through Kafka itself,
    // in the CloudEvents envelope's `traceparent` (messaging's trace-context.ts), with a consumer
    // span per handled message. The kafkajs instrumentation would inject its own `traceparent`
    // header into every produced message, overwriting the envelope's: the outbox relay would stamp
    // its polling loop's context on every event it publishes, cutting each event off the command
    // that recorded it, and replies and dead letters would carry the sender's context instead of
    // the request's. Its consumer spans would also duplicate ours.
    '@opentelemetry/instrumentation-kafkajs': { enabled: false },
    // A span per file read, DNS lookup and socket: cost without insight for this code base.
    '@opentelemetry/instrumentation-fs': { enabled: false },
    '@opentelemetry/instrumentation-dns': { enabled: false },
    '@opentelemetry/instrumentation-net': { enabled: false },
    // Runtime metrics need an OTel meter provider; Meridian's metrics are Prometheus (/metrics).
    '@opentelemetry/instrumentation-runtime-node': { enabled: false },
    '@opentelemetry/instrumentation-http': {
      ignoreIncomingRequestHook: (req: IncomingMessage) => UNTRACED_PATHS.test(req.url ?? ''),
      // Background calls (key refreshes, webhook retries outside a message) start no trace of their own.
      requireParentforOutgoingSpans: true,
    },
    '@opentelemetry/instrumentation-undici': { requireParentforSpans: true },
    // Only queries that are part of a traced request or message: the relay's and the timers'
    // polling would otherwise start a trace every 100 ms.
    '@opentelemetry/instrumentation-pg': { requireParentSpan: true },
    '@opentelemetry/instrumentation-ioredis': { requireParentSpan: true },
    // Trace ids in the JSON logs (log correlation); the logs themselves stay on stdout.
    '@opentelemetry/instrumentation-pino': { disableLogSending: true },
  };
}

/** SDK warnings (an unreachable collector, a refused export) as JSON lines on stderr, like the service logs. */
function stderrDiagLogger(): DiagLogger {
  const write =
    (level: string) =>
    (message: string, ...args: unknown[]): void => {
      const detail = args.map((a) => (a instanceof Error ? a.message : String(a))).join(' ');
      process.stderr.write(`${JSON.stringify({ level, msg: `opentelemetry: ${message}`, detail })}\n`);
    };
  const quiet = (): void => undefined;
  return { error: write('error'), warn: write('warn'), info: quiet, debug: quiet, verbose: quiet };
}

/**
 * Starts the OpenTelemetry Node SDK: the instrumentations patch `http`, `pg`, `ioredis`… when
 * those are first required, so this must run before them (each service's main.ts imports
 * `@meridian/shared/tracing` first). The exporter, sampler and batching come from the standard
 * variables (`OTEL_EXPORTER_OTLP_*` with protocol `http/protobuf` by default or `http/json`,
 * `OTEL_TRACES_SAMPLER`, `OTEL_BSP_*`); only traces are exported (metrics are Prometheus, logs
 * stay on stdout). The SDK is required here, not imported at the top: with tracing off, none of
 * it is loaded.
 */
export function startTracing(serviceName: string): RunningTracing {
  const load = createRequire(__filename);
  const api = load('@opentelemetry/api') as typeof import('@opentelemetry/api');
  if (!process.env['OTEL_LOG_LEVEL']) api.diag.setLogger(stderrDiagLogger(), api.DiagLogLevel.WARN);
  const { NodeSDK, resources } = load('@opentelemetry/sdk-node') as SdkNode;
  const { getNodeAutoInstrumentations } = load('@opentelemetry/auto-instrumentations-node') as AutoInstrumentations;
  const sdk = new NodeSDK({
    serviceName,
    resource: resources.defaultResource().merge(resources.resourceFromAttributes({ 'service.namespace': 'meridian' })),
    instrumentations: [getNodeAutoInstrumentations(instrumentationConfigs())],
    // Traces only: without these the SDK would also push OTLP metrics and logs to the endpoint.
    metricReaders: [],
    logRecordProcessors: [],
  });
  sdk.start();
  let stopped: Promise<void> | null = null;
  const shutdown = (): Promise<void> => (stopped ??= sdk.shutdown().catch(() => undefined));
  flushBeforeExit(shutdown);
  return { serviceName, shutdown };
}

/**
 * Spans wait in the batch processor for up to OTEL_BSP_SCHEDULE_DELAY; an exit must send them
 * first. Services exit through `process.exit`: Nest calls it after its shutdown hooks on SIGTERM
 * (service-kit's bootstrap asks for that so pino flushes), as do bootstrap's shutdown timeout and
 * `main()` on a failed start, and none of them runs anything after it. While tracing is on, the
 * first `process.exit` therefore flushes and stops the SDK (at most FLUSH_ON_EXIT_MS, so an
 * unreachable collector does not hold the exit) and then exits with the same code; a second call
 * exits at once. A process that ends on its own (a tool) flushes on `beforeExit`.
 */
function flushBeforeExit(shutdown: () => Promise<void>): void {
  const exit = process.exit.bind(process);
  let exiting = false;
  process.exit = ((code?: number | string | null) => {
    if (exiting) return exit(code);
    exiting = true;
    const timer = setTimeout(() => exit(code), FLUSH_ON_EXIT_MS);
    void shutdown().then(() => {
      clearTimeout(timer);
      exit(code);
    });
  }) as typeof process.exit;
  process.once('beforeExit', () => void shutdown());
}
