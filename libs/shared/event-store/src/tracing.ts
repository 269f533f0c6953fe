import { type Context, context, SpanKind, SpanStatusCode, trace } from '@opentelemetry/api';

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

/** A request to a batcher with the trace context it was made in. */
export interface InContext<T> {
  readonly request: T;
  readonly ctx: Context;
}

export const inContext = <T>(request: T): InContext<T> => ({ request, ctx: context.active() });

/**
 * Runs a batch in the context of its first request. A batcher's drain loop starts in the context of
 * whichever call found it idle and keeps looping while work arrives, so without this every later
 * batch's queries would join that first, long-finished trace. Without a tracing SDK it just runs.
 */
export function inFirstContext<T, R>(batch: readonly InContext<T>[], run: (requests: T[]) => Promise<R>): Promise<R> {
  const requests = batch.map((b) => b.request);
  const first = batch[0];
  return first ? context.with(first.ctx, () => run(requests)) : run(requests);
}
