import { SpanKind, SpanStatusCode, trace } from '@opentelemetry/api';

const tracer = trace.getTracer('@meridian/shared/event-store');

/**
 * Runs an append inside an INTERNAL span `event-store append` (its commit query, shared with the
 * appends grouped with it, is the pg instrumentation's child span). Only inside a trace: an append
 * outside any (a tool, a timer) starts none. A no-op until a tracing SDK is registered.
 */
export async function tracedAppend<T>(streamId: string, events: number, append: () => Promise<T>): Promise<T> {
  if (!trace.getActiveSpan()?.isRecording()) return append();
  return tracer.startActiveSpan(
    'event-store append',
    { kind: SpanKind.INTERNAL, attributes: { 'meridian.stream.id': streamId, 'meridian.event.count': events } },
    async (span) => {
      try {
        return await append();
      } catch (err) {
        span.recordException(err instanceof Error ? err : String(err));
        span.setStatus({ code: SpanStatusCode.ERROR });
        throw err;
      } finally {
        span.end();
      }
    },
  );
}
