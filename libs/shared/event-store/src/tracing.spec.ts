import { trace } from '@opentelemetry/api';
import { NodeSDK } from '@opentelemetry/sdk-node';
import { InMemorySpanExporter, SimpleSpanProcessor } from '@opentelemetry/sdk-trace-base';
import { afterAll, beforeAll, describe, expect, it } from '@jest/globals';
import { Batcher } from '@meridian/shared/util';
import { type InContext, inContext, inFirstContext } from './tracing';

/**
 * A batcher's drain loop starts in the context of the call that found it idle and goes on while work
 * arrives; each batch must run in the context of its own first request, or every later commit query
 * joins the first request's trace (found in review).
 */
describe('batches run in the trace context of their first request', () => {
  const sdk = new NodeSDK({
    spanProcessors: [new SimpleSpanProcessor(new InMemorySpanExporter())],
    instrumentations: [],
    metricReaders: [],
    logRecordProcessors: [],
    autoDetectResources: false,
  });
  beforeAll(() => sdk.start());
  afterAll(() => sdk.shutdown());
  const tracer = trace.getTracer('test');

  it('gives each batch its first request’s trace, never the trace that started the loop', async () => {
    /** The trace id active while each batch ran, with the requests (trace ids) it carried. */
    const seen: { active: string | undefined; requests: string[] }[] = [];
    let release: () => void = () => undefined;
    const gate = new Promise<void>((r) => (release = r));
    const batcher = new Batcher<InContext<string>, string>(
      (batch) =>
        inFirstContext(batch, async (requests) => {
          seen.push({ active: trace.getActiveSpan()?.spanContext().traceId, requests });
          if (seen.length === 1) await gate; // the first batch is in flight while the others queue
          return requests;
        }),
      { maxBatch: 2, maxInFlight: 1 },
    );
    const inSpan = (name: string) =>
      tracer.startActiveSpan(name, (span) => {
        const id = span.spanContext().traceId;
        const done = batcher.submit(inContext(id));
        span.end();
        return { id, done };
      });
    const calls = ['r1', 'r2', 'r3', 'r4', 'r5'].map(inSpan);
    release();
    await Promise.all(calls.map((c) => c.done));

    const ids = calls.map((c) => c.id);
    expect(seen.map((b) => b.requests)).toEqual([[ids[0]], [ids[1], ids[2]], [ids[3], ids[4]]]);
    // Each batch ran in its first request's trace — the loop was started by r1's.
    expect(seen.map((b) => b.active)).toEqual([ids[0], ids[1], ids[3]]);
  });

  it('runs an empty batch, and runs at all without an SDK context', async () => {
    await expect(inFirstContext([], async (requests) => requests.length)).resolves.toBe(0);
    await expect(inFirstContext([inContext(7)], async ([n]) => n)).resolves.toBe(7);
  });
});
