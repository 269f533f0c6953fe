import { SpanKind, trace } from '@opentelemetry/api';
import { NodeSDK } from '@opentelemetry/sdk-node';
import { InMemorySpanExporter, type ReadableSpan, SimpleSpanProcessor } from '@opentelemetry/sdk-trace-base';
import { afterAll, beforeAll, describe, expect, it } from '@jest/globals';
import { type Envelope, MeridianHeaders, toWire } from '@meridian/contracts/core';
import {
  activeTraceparent,
  consuming,
  consumingBatch,
  contextOf,
  formatTraceparent,
  MAX_BATCH_LINKS,
  parseTraceparent,
  startProducing,
  withActiveTraceparent,
  withTraceparentHeader,
} from './trace-context';

const TRACE = '4bf92f3577b34da6a3ce929d0e0e4736';
const SPAN = '00f067aa0ba902b7';
const PARENT = `00-${TRACE}-${SPAN}-01`;

const envelope = (traceparent?: string): Envelope => ({
  id: 'e1',
  type: 'probe.v1',
  source: '/meridian/test',
  time: new Date(0).toISOString(),
  data: {},
  correlationId: 'c1',
  ...(traceparent ? { traceparent } : {}),
});

const message = (traceparent?: string) => ({
  topic: 'meridian.test.events',
  partition: 2,
  offset: '41',
  groupId: 'test-group',
  headers: traceparent ? { [MeridianHeaders.traceparent]: Buffer.from(traceparent), ce_id: Buffer.from('e1') } : {},
});

describe('traceparent format (W3C Trace Context)', () => {
  it('parses and formats a traceparent round trip', () => {
    const sc = parseTraceparent(PARENT);
    expect(sc).toEqual({ traceId: TRACE, spanId: SPAN, traceFlags: 1, isRemote: true });
    expect(formatTraceparent(sc!)).toBe(PARENT);
    expect(formatTraceparent({ traceId: TRACE, spanId: SPAN, traceFlags: 0 })).toBe(`00-${TRACE}-${SPAN}-00`);
  });

  it.each([
    ['garbage', 'not-a-traceparent'],
    ['an all-zero trace id', `00-${'0'.repeat(32)}-${SPAN}-01`],
    ['an all-zero span id', `00-${TRACE}-${'0'.repeat(16)}-01`],
    ['version ff', `ff-${TRACE}-${SPAN}-01`],
    ['version 00 with extra fields', `${PARENT}-extra`],
    ['upper-case hex', PARENT.toUpperCase()],
    ['an empty string', ''],
  ])('refuses %s', (_, value) => {
    expect(parseTraceparent(value)).toBeUndefined();
  });

  it('accepts a later version with extra fields (forward compatibility)', () => {
    expect(parseTraceparent(`01-${TRACE}-${SPAN}-01-whatever`)?.spanId).toBe(SPAN);
  });
});

describe('with no tracing SDK registered', () => {
  it('passes messages through unchanged and stamps nothing', async () => {
    expect(activeTraceparent(contextOf(PARENT))).toBe(PARENT);
    let seen: Envelope | undefined;
    await consuming(message(PARENT), async () => {
      seen = withActiveTraceparent(envelope(PARENT));
    });
    expect(seen?.traceparent).toBe(PARENT);
    expect(startProducing('meridian.test.commands').traceparent).toBeUndefined();
    const wire = [toWire(envelope(), null)];
    expect(withTraceparentHeader(wire)).toBe(wire);
  });
});

describe('with the tracing SDK registered', () => {
  const exporter = new InMemorySpanExporter();
  const sdk = new NodeSDK({
    spanProcessors: [new SimpleSpanProcessor(exporter)],
    instrumentations: [],
    metricReaders: [],
    logRecordProcessors: [],
    autoDetectResources: false,
  });
  beforeAll(() => sdk.start());
  afterAll(() => sdk.shutdown());
  const tracer = trace.getTracer('test');
  const finished = (name: string): ReadableSpan[] => exporter.getFinishedSpans().filter((s) => s.name === name);

  it('injects the active span and extracts it again (round trip)', () => {
    tracer.startActiveSpan('outer', (span) => {
      const traceparent = activeTraceparent();
      expect(traceparent).toBe(`00-${span.spanContext().traceId}-${span.spanContext().spanId}-01`);
      const extracted = trace.getSpanContext(contextOf(traceparent));
      const { traceId, spanId, traceFlags } = span.spanContext();
      expect(extracted).toEqual({ traceId, spanId, traceFlags, isRemote: true });
      span.end();
    });
  });

  it("runs a message's handling in a CONSUMER span that continues its traceparent", async () => {
    exporter.reset();
    let seen: Envelope | undefined;
    await consuming(message(PARENT), async () => {
      await new Promise((r) => setTimeout(r, 5)); // the context survives awaits
      seen = withActiveTraceparent(envelope(PARENT));
    });
    const [span] = finished('meridian.test.events process');
    expect(span.kind).toBe(SpanKind.CONSUMER);
    expect(span.spanContext().traceId).toBe(TRACE);
    expect(span.parentSpanContext?.spanId).toBe(SPAN);
    expect(span.attributes).toMatchObject({
      'messaging.system': 'kafka',
      'messaging.destination.name': 'meridian.test.events',
      'messaging.destination.partition.id': '2',
      'messaging.kafka.offset': 41,
      'messaging.consumer.group.name': 'test-group',
      'messaging.message.id': 'e1',
    });
    // The handler sees its own span as the parent of whatever it sends or records.
    expect(seen?.traceparent).toBe(`00-${TRACE}-${span.spanContext().spanId}-01`);
  });

  it("names a reply topic's span by its template (one topic per process)", async () => {
    exporter.reset();
    const topic = 'meridian.gateway.replies.gw-1.mx4is6u6-53384c';
    await consuming({ ...message(PARENT), topic }, async () => undefined);
    const [span] = finished('meridian.gateway.replies process');
    expect(span.attributes['messaging.destination.name']).toBe(topic);
    expect(span.attributes['messaging.destination.template']).toBe('meridian.gateway.replies');
  });

  it('starts a new trace for a message without a traceparent, even inside another span', async () => {
    exporter.reset();
    await tracer.startActiveSpan('consumer loop', async (loop) => {
      await consuming(message(), async () => undefined);
      loop.end();
    });
    const [span] = finished('meridian.test.events process');
    expect(span.parentSpanContext).toBeUndefined();
    expect(span.spanContext().traceId).not.toBe(finished('consumer loop')[0].spanContext().traceId);
  });

  it('ignores an invalid traceparent: a new root, and the handler still runs', async () => {
    exporter.reset();
    let ran = false;
    await consuming(message(`00-${'0'.repeat(32)}-${SPAN}-01`), async () => {
      ran = true;
    });
    expect(ran).toBe(true);
    const [span] = finished('meridian.test.events process');
    expect(span.parentSpanContext).toBeUndefined();
    expect(span.spanContext().traceId).not.toBe('0'.repeat(32));
  });

  it('records a failing handler on its span and rethrows', async () => {
    exporter.reset();
    await expect(consuming(message(PARENT), () => Promise.reject(new Error('boom')))).rejects.toThrow('boom');
    const [span] = finished('meridian.test.events process');
    expect(span.status.code).toBe(2); // ERROR
    expect(span.events.map((e) => e.name)).toContain('exception');
  });

  it('gives a batch one root span linked to (at most MAX_BATCH_LINKS of) its messages', async () => {
    exporter.reset();
    const parents = Array.from({ length: MAX_BATCH_LINKS + 8 }, (_, i) => {
      const spanId = (i + 1).toString(16).padStart(16, '0');
      return `00-${TRACE}-${spanId}-01`;
    });
    const messages = [{ headers: {} }, ...parents.map((p) => ({ headers: { traceparent: Buffer.from(p) } }))];
    await consumingBatch({ topic: 'meridian.test.events', partition: 0, groupId: 'g', messages }, async () => {
      expect(trace.getActiveSpan()?.spanContext().traceId).not.toBe(TRACE);
    });
    const [span] = finished('meridian.test.events process');
    expect(span.parentSpanContext).toBeUndefined();
    expect(span.attributes['messaging.batch.message_count']).toBe(messages.length);
    expect(span.links).toHaveLength(MAX_BATCH_LINKS);
    expect(span.links[0].context.spanId).toBe(parseTraceparent(parents[0])?.spanId);
  });

  it('stamps sends inside a trace with a PRODUCER span, keeps an explicit traceparent, stamps nothing outside', () => {
    exporter.reset();
    expect(startProducing('meridian.test.commands', PARENT).traceparent).toBe(PARENT);
    expect(startProducing('meridian.test.commands').traceparent).toBeUndefined();
    tracer.startActiveSpan('http request', (http) => {
      const producing = startProducing('meridian.test.commands');
      const wire = withTraceparentHeader([toWire(envelope(), null), toWire(envelope(PARENT), null)]);
      producing.end();
      http.end();
      const [send] = finished('meridian.test.commands send');
      expect(send.kind).toBe(SpanKind.PRODUCER);
      expect(send.parentSpanContext?.spanId).toBe(http.spanContext().spanId);
      expect(producing.traceparent).toBe(formatTraceparent(send.spanContext()));
      // Telemetry built without a traceparent continues the request; one that has its own keeps it.
      expect(wire[0].headers[MeridianHeaders.traceparent]).toBe(formatTraceparent(http.spanContext()));
      expect(wire[1].headers[MeridianHeaders.traceparent]).toBe(PARENT);
    });
  });
});
