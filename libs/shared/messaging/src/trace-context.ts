/**
 * Trace context across Kafka, through the CloudEvents envelope's `traceparent` (W3C Trace Context).
 *
 * - Producing: a request or event sent without an explicit traceparent gets the active context's
 *   (a PRODUCER span `<topic> send` when there is an active trace to continue).
 * - Consuming: each handled message runs inside a CONSUMER span `<topic> process` whose parent is
 *   the message's traceparent, and the handler sees the message with *that span's* traceparent, so
 *   what it sends or records (replies, the events it appends, and through the outbox the events
 *   downstream) continues the trace below it. A batch gets one span, linked to its messages.
 *
 * Only `@opentelemetry/api` is used: until an SDK is registered (libs/shared/tracing) every call is
 * a no-op and messages keep the traceparent they came with. The header is read and written here
 * rather than through the global propagator because the envelope's field is W3C `traceparent` by
 * contract, whatever `OTEL_PROPAGATORS` chooses for HTTP.
 */
import {
  type Context,
  context,
  isSpanContextValid,
  type Link,
  ROOT_CONTEXT,
  type Span,
  type SpanContext,
  SpanKind,
  SpanStatusCode,
  trace,
} from '@opentelemetry/api';
import type { IHeaders } from 'kafkajs';
import { type Envelope, MeridianHeaders, replyTopicTemplate, type WireMessage } from '@meridian/contracts/core';

const tracer = trace.getTracer('@meridian/shared/messaging');

/** A batch span links to at most this many of its messages (a telemetry batch holds thousands). */
export const MAX_BATCH_LINKS = 32;

/** version-traceid-parentid-flags; version ff and all-zero ids are invalid (W3C Trace Context §3.2). */
const TRACEPARENT = /^([\da-f]{2})-([\da-f]{32})-([\da-f]{16})-([\da-f]{2})(-.*)?$/;

/** The span context a `traceparent` names, or undefined when it is absent or malformed. */
export function parseTraceparent(value: string | undefined): SpanContext | undefined {
  const match = value === undefined ? null : TRACEPARENT.exec(value.trim());
  if (!match) return undefined;
  const [, version, traceId, spanId, flags, rest] = match;
  // Version 00 has exactly four fields; later versions may append more, which are ignored.
  if (version === 'ff' || (version === '00' && rest !== undefined)) return undefined;
  const spanContext: SpanContext = { traceId, spanId, traceFlags: parseInt(flags, 16), isRemote: true };
  return isSpanContextValid(spanContext) ? spanContext : undefined;
}

export const formatTraceparent = (sc: SpanContext): string =>
  `00-${sc.traceId}-${sc.spanId}-${(sc.traceFlags & 0xff).toString(16).padStart(2, '0')}`;

/** The traceparent of the span active in `ctx` (by default the current one), if any. */
export function activeTraceparent(ctx: Context = context.active()): string | undefined {
  const sc = trace.getSpanContext(ctx);
  return sc && isSpanContextValid(sc) ? formatTraceparent(sc) : undefined;
}

/**
 * The context a message continues: its traceparent as remote parent, or an empty context (a new
 * trace) when it has none or a malformed one. Never the consumer loop's own context.
 */
export function contextOf(traceparent: string | undefined): Context {
  const sc = parseTraceparent(traceparent);
  return sc ? trace.setSpanContext(ROOT_CONTEXT, sc) : ROOT_CONTEXT;
}

/** The envelope as a handler should see it: carrying the active span's traceparent when there is one. */
export function withActiveTraceparent<E extends Envelope>(envelope: E): E {
  const traceparent = activeTraceparent();
  return traceparent === undefined || traceparent === envelope.traceparent ? envelope : { ...envelope, traceparent };
}

/**
 * Adds the active context's traceparent to messages built without one (the gateway's telemetry).
 * Messages that carry one keep it.
 */
export function withTraceparentHeader(messages: readonly WireMessage[]): readonly WireMessage[] {
  const traceparent = activeTraceparent();
  if (traceparent === undefined) return messages;
  return messages.map((m) =>
    m.headers[MeridianHeaders.traceparent] === undefined
      ? { ...m, headers: { ...m.headers, [MeridianHeaders.traceparent]: traceparent } }
      : m,
  );
}

/** A send in progress: the traceparent to put on the message, and the end of its span. */
export interface Producing {
  readonly traceparent: string | undefined;
  end(err?: unknown): void;
}

const notTraced = (traceparent: string | undefined): Producing => ({ traceparent, end: () => undefined });

/**
 * Starts sending to `topic`. An explicit traceparent (the caller continues a known trace) is used
 * as it is; otherwise, inside an active trace, a PRODUCER span `<topic> send` (ended by `end`,
 * after the broker's acknowledgement) becomes the message's parent. Outside any trace nothing is
 * stamped: the consumer starts a trace of its own.
 */
export function startProducing(topic: string, explicitTraceparent?: string): Producing {
  if (explicitTraceparent !== undefined) return notTraced(explicitTraceparent);
  const active = context.active();
  const parent = trace.getSpanContext(active);
  if (!parent || !isSpanContextValid(parent)) return notTraced(undefined);
  const span = tracer.startSpan(
    `${topic} send`,
    {
      kind: SpanKind.PRODUCER,
      attributes: {
        'messaging.system': 'kafka',
        'messaging.destination.name': topic,
        'messaging.operation.type': 'send',
        'messaging.operation.name': 'send',
      },
    },
    active,
  );
  return {
    traceparent: activeTraceparent(trace.setSpan(active, span)),
    end: (err?: unknown) => {
      if (err !== undefined) failed(span, err);
      span.end();
    },
  };
}

/** Where a consumed message came from, as its CONSUMER span describes it. */
export interface ConsumedMessage {
  readonly topic: string;
  readonly partition: number;
  readonly offset: string;
  readonly groupId: string;
  /** The Kafka record's headers, as kafkajs hands them over. */
  readonly headers: IHeaders | undefined;
}

/** One header of a Kafka record as text (kafkajs gives Buffers, or arrays of them). */
export function headerOf(headers: IHeaders | undefined, name: string): string | undefined {
  const value = headers?.[name];
  if (value === undefined) return undefined;
  return String(Array.isArray(value) ? value[0] : value);
}

/**
 * The topic as a span name shows it: a reply topic (`meridian.<service>.replies.<instance>…`, one
 * per process) by its template, so span names stay few.
 */
const spanTopic = replyTopicTemplate;

const consumerAttributes = (m: Omit<ConsumedMessage, 'offset' | 'headers'>) => ({
  'messaging.system': 'kafka',
  'messaging.destination.name': m.topic,
  ...(spanTopic(m.topic) === m.topic ? {} : { 'messaging.destination.template': spanTopic(m.topic) }),
  'messaging.destination.partition.id': String(m.partition),
  'messaging.consumer.group.name': m.groupId,
  'messaging.operation.type': 'process',
  'messaging.operation.name': 'process',
});

/**
 * Runs the handling of one message (its retries and dead-lettering included) inside a CONSUMER
 * span `<topic> process`, child of the message's traceparent. The span records failures and ends
 * when `work` settles.
 */
export function consuming<T>(message: ConsumedMessage, work: () => Promise<T>): Promise<T> {
  const parent = contextOf(headerOf(message.headers, MeridianHeaders.traceparent));
  const span = tracer.startSpan(`${spanTopic(message.topic)} process`, { kind: SpanKind.CONSUMER }, parent);
  if (span.isRecording()) {
    span.setAttributes({ ...consumerAttributes(message), 'messaging.kafka.offset': Number(message.offset) });
    const id = headerOf(message.headers, 'ce_id');
    if (id !== undefined) span.setAttribute('messaging.message.id', id);
  }
  return runIn(span, trace.setSpan(parent, span), work);
}

/**
 * Runs a batch handler inside one CONSUMER span `<topic> process`, a root with links to the
 * traceparents of (at most MAX_BATCH_LINKS of) its messages: a batch has many parents, not one.
 */
export function consumingBatch<T>(
  batch: Omit<ConsumedMessage, 'offset' | 'headers'> & { readonly messages: readonly { headers?: IHeaders }[] },
  work: () => Promise<T>,
): Promise<T> {
  const span = tracer.startSpan(
    `${spanTopic(batch.topic)} process`,
    { kind: SpanKind.CONSUMER, root: true },
    ROOT_CONTEXT,
  );
  if (span.isRecording()) {
    span.setAttributes({ ...consumerAttributes(batch), 'messaging.batch.message_count': batch.messages.length });
    // Added after the start, so a batch nobody records (tracing off, sampled out) reads no headers.
    const links: Link[] = [];
    for (const message of batch.messages) {
      if (links.length >= MAX_BATCH_LINKS) break;
      const sc = parseTraceparent(headerOf(message.headers, MeridianHeaders.traceparent));
      if (sc) links.push({ context: sc });
    }
    span.addLinks(links);
  }
  return runIn(span, trace.setSpan(ROOT_CONTEXT, span), work);
}

async function runIn<T>(span: Span, ctx: Context, work: () => Promise<T>): Promise<T> {
  try {
    return await context.with(ctx, work);
  } catch (err) {
    failed(span, err);
    throw err;
  } finally {
    span.end();
  }
}

/** Notes on the current span that a handling attempt failed (it may still be retried). */
export function noteFailedAttempt(err: unknown, kind: string, attempt: number): void {
  const span = trace.getActiveSpan();
  if (!span?.isRecording()) return;
  span.addEvent('handler failed', {
    'meridian.failure.kind': kind,
    'meridian.attempt': attempt,
    'exception.message': err instanceof Error ? err.message : String(err),
  });
}

/** Marks the current span's message as dead-lettered (or skipped): an error, though consumption goes on. */
export function noteDeadLettered(code: string, kind: string): void {
  const span = trace.getActiveSpan();
  if (!span?.isRecording()) return;
  span.setAttributes({ 'meridian.dead_lettered': true, 'meridian.failure.kind': kind, 'error.type': code });
  span.setStatus({ code: SpanStatusCode.ERROR, message: `dead-lettered: ${code}` });
}

function failed(span: Span, err: unknown): void {
  if (!span.isRecording()) return;
  span.recordException(err instanceof Error ? err : String(err));
  span.setStatus({ code: SpanStatusCode.ERROR, message: err instanceof Error ? err.message : String(err) });
}
