/**
 * OpenTelemetry tracing for a Meridian service. Importing this module is what turns it on: each
 * service's main.ts imports it on its first line, so that the SDK is started before anything
 * requires `http`, `pg` or `ioredis` (CommonJS keeps import order) and can patch them. With no
 * OTLP endpoint configured, or `OTEL_SDK_DISABLED=true`, the import does nothing and loads none
 * of the SDK. Spans across Kafka are messaging's business (trace-context.ts): it links them
 * through the envelopes' `traceparent`, with the API alone, so it costs nothing while this is off.
 */
import { type RunningTracing, startTracing } from './sdk';
import { tracingSettings } from './settings';

export { type RunningTracing, startTracing } from './sdk';
export { serviceOf, TRACED_SERVICES, type ProcessFacts, type TracingSettings, tracingSettings } from './settings';

const settings = tracingSettings({ env: process.env, argv: process.argv, mainFile: require.main?.filename });

/** The running SDK of this process, or null when tracing is off. */
export const tracing: RunningTracing | null = settings.enabled ? startTracing(settings.serviceName) : null;
