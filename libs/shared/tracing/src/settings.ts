/** The long-running services; the service name of a process defaults to `meridian-<service>`. */
export const TRACED_SERVICES = ['gateway', 'identity', 'workflow', 'projection', 'geo-query'] as const;

export type TracingSettings =
  { readonly enabled: false; readonly reason: string } | { readonly enabled: true; readonly serviceName: string };

export interface ProcessFacts {
  readonly env: Readonly<Record<string, string | undefined>>;
  /** `process.argv`: the image's entry point takes the role as its first argument. */
  readonly argv: readonly string[];
  /** The main module's file (`require.main.filename`): `apps/<service>/src/main.ts` under the dev loader. */
  readonly mainFile: string | undefined;
}

const set = (value: string | undefined): value is string => value !== undefined && value.trim() !== '';

/**
 * Whether this process traces, and under which service name. Tracing is on only when an OTLP
 * endpoint is configured (the standard `OTEL_EXPORTER_OTLP_ENDPOINT` or its traces-only variant)
 * and `OTEL_SDK_DISABLED` is not `true`: a deployment without a collector loads nothing.
 */
export function tracingSettings(facts: ProcessFacts): TracingSettings {
  const { env } = facts;
  if (env['OTEL_SDK_DISABLED']?.trim().toLowerCase() === 'true') {
    return { enabled: false, reason: 'OTEL_SDK_DISABLED=true' };
  }
  if (!set(env['OTEL_EXPORTER_OTLP_ENDPOINT']) && !set(env['OTEL_EXPORTER_OTLP_TRACES_ENDPOINT'])) {
    return { enabled: false, reason: 'no OTLP endpoint configured' };
  }
  const explicit = env['OTEL_SERVICE_NAME'];
  return { enabled: true, serviceName: set(explicit) ? explicit.trim() : `meridian-${serviceOf(facts)}` };
}

/**
 * Which service this process is. The import that starts tracing runs before any configuration is
 * read, so it goes by what the process was started with: `MERIDIAN_SERVICE` (the image's role
 * variable), the dev loader's main module `apps/<service>/src/main.ts` (or the compiled
 * `main.js`), or the image entry point's first argument.
 */
export function serviceOf({ env, argv, mainFile }: ProcessFacts): string {
  const fromEnv = env['MERIDIAN_SERVICE']?.trim();
  if (fromEnv) return fromEnv;
  const main = (mainFile ?? '').replace(/\\/g, '/').match(/apps\/([a-z-]+)\/src\/main\.[cm]?[jt]s$/);
  if (main) return main[1];
  const role = argv.slice(2).find((arg) => (TRACED_SERVICES as readonly string[]).includes(arg));
  return role ?? 'unknown';
}
