import { CodedError, ErrorCodes } from './errors';

/** Headers Meridian adds beside the CloudEvents `ce_*` attributes (DESIGN §2). */
export const MeridianHeaders = {
  traceparent: 'traceparent',
  correlationId: 'correlation-id',
  causationId: 'causation-id',
  tenantId: 'tenant-id',
  /** The acting principal (JSON, contracts/identity `Principal`), set by the gateway on commands and queries. */
  principal: 'meridian-principal',
  /** Who caused an event: the subject of the principal whose command it records (audit). */
  actor: 'meridian-actor',
  replyTo: 'reply-to',
  replyKey: 'reply-key',
  error: 'meridian-error',
  errorCode: 'meridian-error-code',
  originalTopic: 'meridian-original-topic',
  originalPartition: 'meridian-original-partition',
  originalOffset: 'meridian-original-offset',
} as const;

/** A message as it crosses Kafka: CloudEvents 1.0 attributes plus Meridian's tracing headers. */
export interface Envelope<T = unknown> {
  readonly id: string;
  readonly type: string;
  readonly source: string;
  readonly time: string;
  readonly dataschema?: string;
  readonly subject?: string;
  /**
   * The media type of binary data (a vector tile): `data` is then a Uint8Array, sent as the Kafka
   * value as it is. Absent for JSON, the default.
   */
  readonly datacontenttype?: string;
  readonly data: T;
  readonly correlationId: string;
  readonly causationId?: string;
  readonly tenantId?: string;
  /**
   * Who acts: the gateway's authenticated principal as JSON (roles and attributes, never a token or
   * secret). Services decide commands and filter query rows with it (docs/permissions.md).
   */
  readonly principal?: string;
  /** On events: the subject of the principal whose command the event records, or `system`. */
  readonly actor?: string;
  readonly traceparent?: string;
  readonly replyTo?: string;
  /** Set by the requester, echoed in the reply: matches replies to requests (never client-controlled). */
  readonly replyKey?: string;
}

/** What the messaging layer hands to Kafka and gets back: transport-neutral. */
export interface WireMessage {
  readonly key: string | null;
  readonly value: Buffer;
  readonly headers: Readonly<Record<string, string>>;
}

const extraHeaders = (e: Envelope): Record<string, string> => {
  const h: Record<string, string> = { [MeridianHeaders.correlationId]: e.correlationId };
  if (e.causationId) h[MeridianHeaders.causationId] = e.causationId;
  if (e.tenantId) h[MeridianHeaders.tenantId] = e.tenantId;
  if (e.principal) h[MeridianHeaders.principal] = e.principal;
  if (e.actor) h[MeridianHeaders.actor] = e.actor;
  if (e.traceparent) h[MeridianHeaders.traceparent] = e.traceparent;
  if (e.replyTo) h[MeridianHeaders.replyTo] = e.replyTo;
  if (e.replyKey) h[MeridianHeaders.replyKey] = e.replyKey;
  return h;
};

/**
 * Serialises an envelope in CloudEvents Kafka binary content mode. The `ce_*` headers are written
 * directly: the SDK's serialiser costs 30–100 µs per message, a third of the relay's time. Parsing
 * (`fromWire`) reads them directly too; contract tests check both against the SDK.
 */
export function toWire(envelope: Envelope, key: string | null): WireMessage {
  if (!envelope.id || !envelope.type || !envelope.source) {
    throw new CodedError(ErrorCodes.contractViolation, 'a CloudEvent needs id, type and source');
  }
  const binary = envelope.data instanceof Uint8Array;
  const contentType = binary ? (envelope.datacontenttype ?? 'application/octet-stream') : 'application/json';
  const headers: Record<string, string> = {
    'content-type': contentType,
    ce_specversion: '1.0',
    ce_id: envelope.id,
    ce_type: envelope.type,
    ce_source: envelope.source,
    ce_time: envelope.time,
    ce_datacontenttype: contentType,
  };
  if (envelope.dataschema) headers.ce_dataschema = envelope.dataschema;
  if (envelope.subject) headers.ce_subject = envelope.subject;
  const value =
    envelope.data instanceof Uint8Array ? Buffer.from(envelope.data) : Buffer.from(JSON.stringify(envelope.data));
  return { key, value, headers: { ...headers, ...extraHeaders(envelope) } };
}

/** RFC 3339 date-time, as CloudEvents 1.0 requires of `time`. */
const RFC3339 = /^\d{4}-\d{2}-\d{2}[Tt ]\d{2}:\d{2}:\d{2}(\.\d+)?([Zz]|[+-]\d{2}:\d{2})$/;
/** An absolute URI (scheme first), as CloudEvents 1.0 requires of `dataschema`. */
const ABSOLUTE_URI = /^[A-Za-z][A-Za-z0-9+.-]*:[^\s]*$/;

const violation = (why: string): CodedError =>
  new CodedError(ErrorCodes.contractViolation, `not a CloudEvents binary message: ${why}`);

/** A present attribute must be a non-empty string (CloudEvents 1.0: `minLength: 1`). */
function attribute(h: Readonly<Record<string, string>>, name: string, required: boolean): string | undefined {
  const value = h[`ce_${name}`];
  if (value === undefined) {
    if (required) throw violation(`the required attribute ${name} is missing`);
    return undefined;
  }
  if (value === '') throw violation(`the attribute ${name} is empty`);
  return value;
}

/**
 * Parses a binary-mode CloudEvent. Throws CONTRACT.VIOLATION for anything that is not one:
 * the messaging layer routes such messages to the DLQ rather than retrying them.
 *
 * Binary content mode only (the contract): a structured-mode message (`application/cloudevents+json`,
 * no `ce_*` headers) is refused. It reads the `ce_*` headers directly and checks them as the
 * CloudEvents SDK's `validate()` does (the SDK's parse and schema check cost 20–26 µs per message,
 * on every hop of every command); a contract test feeds both the same valid and broken messages
 * and expects the same verdicts.
 */
export function fromWire(message: WireMessage): Envelope<unknown> {
  const h = message.headers;
  const specversion = h.ce_specversion;
  if (specversion === undefined) throw violation('no ce_specversion header');
  // The contract is CloudEvents 1.0 only.
  if (specversion !== '1.0') throw violation(`unsupported specversion ${specversion}`);
  const id = attribute(h, 'id', true) as string;
  const source = attribute(h, 'source', true) as string;
  const type = attribute(h, 'type', true) as string;
  const time = attribute(h, 'time', false);
  if (time !== undefined && (!RFC3339.test(time) || Number.isNaN(Date.parse(time)))) {
    throw violation(`time ${time} is not an RFC 3339 timestamp`);
  }
  const dataschema = attribute(h, 'dataschema', false);
  if (dataschema !== undefined && !ABSOLUTE_URI.test(dataschema)) {
    throw violation(`dataschema ${dataschema} is not an absolute URI`);
  }
  const subject = attribute(h, 'subject', false);
  const contentType = attribute(h, 'datacontenttype', false) ?? h['content-type'];
  // Binary content mode: data that is not JSON (a vector tile) is the value's bytes as they are.
  const json = contentType === undefined || /json/i.test(contentType);
  let data: unknown = message.value;
  if (json) {
    const text = message.value.toString('utf8');
    try {
      data = JSON.parse(text);
    } catch (err) {
      throw violation(`the value is not JSON (${(err as Error).message})`);
    }
  }
  const correlationId = h[MeridianHeaders.correlationId];
  if (!correlationId) throw new CodedError(ErrorCodes.contractViolation, 'missing correlation-id header');
  return {
    id,
    type,
    source,
    // As the SDK gave it: normalised to UTC with milliseconds, whatever offset the producer wrote.
    time: new Date(time ?? 0).toISOString(),
    ...(dataschema ? { dataschema } : {}),
    ...(subject ? { subject } : {}),
    ...(json ? {} : { datacontenttype: contentType }),
    data,
    correlationId,
    ...(h[MeridianHeaders.causationId] ? { causationId: h[MeridianHeaders.causationId] } : {}),
    ...(h[MeridianHeaders.tenantId] ? { tenantId: h[MeridianHeaders.tenantId] } : {}),
    ...(h[MeridianHeaders.principal] ? { principal: h[MeridianHeaders.principal] } : {}),
    ...(h[MeridianHeaders.actor] ? { actor: h[MeridianHeaders.actor] } : {}),
    ...(h[MeridianHeaders.traceparent] ? { traceparent: h[MeridianHeaders.traceparent] } : {}),
    ...(h[MeridianHeaders.replyTo] ? { replyTo: h[MeridianHeaders.replyTo] } : {}),
    ...(h[MeridianHeaders.replyKey] ? { replyKey: h[MeridianHeaders.replyKey] } : {}),
  };
}
