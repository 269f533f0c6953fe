/**
 * Per-hop timings of requests (commands) on real traffic: each party marks the moments it sees,
 * the marks travel in one compact header (`meridian-timing: gw_in=…;gw_sent=…`) on the request and
 * come back, echoed and extended, on the reply, and the requester turns them into hop durations
 * (see `COMMAND_HOPS` and `breakdown`). Only requests the requester chose to time carry the header;
 * everything else pays nothing.
 *
 * Clock: wall-clock milliseconds with sub-millisecond precision, `performance.timeOrigin +
 * performance.now()`. Marks of different processes are compared directly, which holds because
 * every process runs on one machine here and reads the same clock (the monotonic clock is slewed
 * by NTP like the wall clock; only a clock step between two processes' starts would offset them).
 * Across machines the cross-process hops would carry the clocks' offset.
 *
 * A reply's own acknowledgement cannot travel in that reply: the replier marks it when the broker
 * acknowledged and sends it, keyed by the request's reply key, with the next timed reply to the
 * same reply topic (`ReplyAcks`); the requester joins it to the request it belongs to.
 */
import { AsyncLocalStorage } from 'node:async_hooks';
import { performance } from 'node:perf_hooks';

export const TIMING_HEADER = 'meridian-timing';

/** Now, as epoch milliseconds with sub-millisecond precision. */
export const timingNow = (): number => performance.timeOrigin + performance.now();

/** The marks of a timed command, in the order they happen. */
export const TimingMarks = {
  /** Gateway: the HTTP request arrived (Fastify's onRequest). */
  httpIn: 'gw_in',
  /** Gateway: the request is handed to the message bus (send queue). */
  sent: 'gw_sent',
  /** Gateway: the broker acknowledged the request (acks=all). */
  acked: 'gw_acked',
  /** Server: the consumer received the fetched batch holding the request. */
  received: 'svc_recv',
  /** Server: the handler starts. */
  started: 'svc_start',
  /** Server: the decision is made, the append starts (decider runtime). */
  decided: 'svc_decided',
  /** Server: the append committed. */
  appended: 'svc_appended',
  /** Server: the handler returned; the reply is handed to the message bus. */
  handled: 'svc_end',
  /** Server: the broker acknowledged the reply (arrives with a later reply, see `ReplyAcks`). */
  replyAcked: 'svc_acked',
  /** Gateway: the reply consumer received the reply. */
  replyReceived: 'gw_recv',
  /** Gateway: the route handler is done with the reply (e.g. the asset directory written) and returns. */
  handlerDone: 'gw_handled',
  /** Gateway: the HTTP response was written (the response's `finish`). */
  httpOut: 'gw_done',
} as const;

export type TimingMark = (typeof TimingMarks)[keyof typeof TimingMarks];

const CHAIN: readonly TimingMark[] = Object.values(TimingMarks);

export interface HopDefinition {
  readonly hop: string;
  /** The hop starts at the first of these marks that is present. */
  readonly from: readonly TimingMark[];
  readonly to: TimingMark;
}

/** A command's path, hop by hop; with every mark present the hops add up to gw_in → gw_done. */
export const COMMAND_HOPS: readonly HopDefinition[] = [
  { hop: 'http_parse', from: [TimingMarks.httpIn], to: TimingMarks.sent },
  { hop: 'produce', from: [TimingMarks.sent], to: TimingMarks.acked },
  { hop: 'broker_to_consumer', from: [TimingMarks.acked], to: TimingMarks.received },
  { hop: 'consumer_queue', from: [TimingMarks.received], to: TimingMarks.started },
  { hop: 'load_decide', from: [TimingMarks.started], to: TimingMarks.decided },
  { hop: 'append_commit', from: [TimingMarks.decided], to: TimingMarks.appended },
  // From the commit (or, for a handler outside the decider runtime, its end) to the broker's ack.
  { hop: 'reply_produce', from: [TimingMarks.appended, TimingMarks.handled], to: TimingMarks.replyAcked },
  { hop: 'reply_fetch', from: [TimingMarks.replyAcked], to: TimingMarks.replyReceived },
  { hop: 'gateway_reply', from: [TimingMarks.replyReceived], to: TimingMarks.handlerDone },
  { hop: 'http_write', from: [TimingMarks.handlerDone, TimingMarks.replyReceived], to: TimingMarks.httpOut },
];

/** Hops whose end is the reply's acknowledgement, known only when a later reply brings it. */
export const REPLY_ACK_HOPS: ReadonlySet<string> = new Set(
  COMMAND_HOPS.filter((h) => h.to === TimingMarks.replyAcked || h.from.includes(TimingMarks.replyAcked)).map(
    (h) => h.hop,
  ),
);

const MAX_HEADER_CHARS = 8192;
const ACK_PREFIX = 'ack.';

/** The key a reply's acknowledgement is sent back under: 48 random bits of its reply key. */
export const ackKeyOf = (replyKey: string): string => replyKey.replace(/-/g, '').slice(0, 12);

/** The marks of one timed request (and the acknowledgements of earlier replies a reply brought). */
export class Timing {
  readonly marks = new Map<string, number>();
  /** Reply acknowledgements of earlier requests that arrived with this message: [ack key, time]. */
  readonly acks: [string, number][] = [];
  /** Set by the requester: the ack key of this request's reply. */
  ackKey: string | undefined;
  /** Free text to recognise the request by (the gateway puts the correlation id here). */
  label: string | undefined;

  mark(name: string, at: number = timingNow()): void {
    this.marks.set(name, at);
  }

  get(name: string): number | undefined {
    return this.marks.get(name);
  }

  /** Takes the marks of `other` that this one lacks, and its acks. */
  absorb(other: Timing): void {
    for (const [name, at] of other.marks) if (!this.marks.has(name)) this.marks.set(name, at);
    this.acks.push(...other.acks);
  }

  /** The header value: `name=epochMs;…` (and `ack.<key>=epochMs` for acks), microsecond precision. */
  encode(extra: readonly string[] = []): string {
    const parts: string[] = [];
    for (const [name, at] of this.marks) parts.push(`${name}=${at.toFixed(3)}`);
    return [...parts, ...extra].join(';');
  }

  /** Never throws: a malformed header yields the pairs that parse (timings must not fail a request). */
  static decode(header: string | undefined): Timing {
    const timing = new Timing();
    if (!header) return timing;
    for (const part of header.slice(0, MAX_HEADER_CHARS).split(';')) {
      const eq = part.indexOf('=');
      if (eq <= 0) continue;
      const name = part.slice(0, eq);
      const at = Number(part.slice(eq + 1));
      if (!Number.isFinite(at)) continue;
      if (name.startsWith(ACK_PREFIX)) timing.acks.push([name.slice(ACK_PREFIX.length), at]);
      else timing.marks.set(name, at);
    }
    return timing;
  }
}

/** `ack.<key>=<time>`, as a reply carries it. */
export const encodeAck = (key: string, at: number): string => `${ACK_PREFIX}${key}=${at.toFixed(3)}`;

/** What a consumer saw of a timed message: its timing header and when the consumer received it. */
export interface ReceivedTiming {
  readonly header: string;
  readonly receivedAt: number;
}

export interface Breakdown {
  /** gw_in → gw_done, when both are present. */
  readonly total: number | undefined;
  /** Milliseconds per hop, for the hops whose marks are present. */
  readonly hops: Readonly<Record<string, number>>;
}

/**
 * Hop durations from the marks. The broker answers the producer and a waiting consumer at about
 * the same moment, so a consumer may see a message before its producer sees the ack: each mark is
 * taken as at most the next mark present in the chain (`TimingMarks` order). That keeps every hop
 * non-negative and the hops summing to the total (a late ack makes the broker → consumer hop 0).
 */
export function breakdown(
  marks: ReadonlyMap<string, number>,
  hops: readonly HopDefinition[] = COMMAND_HOPS,
): Breakdown {
  const effective = new Map<string, number>();
  let next = Number.POSITIVE_INFINITY;
  for (let i = CHAIN.length - 1; i >= 0; i--) {
    const at = marks.get(CHAIN[i]);
    if (at === undefined) continue;
    next = Math.min(at, next);
    effective.set(CHAIN[i], next);
  }
  const durations: Record<string, number> = {};
  for (const { hop, from, to } of hops) {
    const start = from.map((m) => effective.get(m)).find((v) => v !== undefined);
    const end = effective.get(to);
    if (start !== undefined && end !== undefined) durations[hop] = Math.max(0, end - start);
  }
  const first = effective.get(TimingMarks.httpIn);
  const last = effective.get(TimingMarks.httpOut);
  return { total: first !== undefined && last !== undefined ? last - first : undefined, hops: durations };
}

/**
 * The replier's side of reply acknowledgements: `note` when the broker acknowledged a timed reply,
 * `take` the pending ones when the next timed reply to the same topic goes out. Bounded: at most
 * `perTopic` acks per reply topic and `topics` topics (the oldest go first; a lost ack only costs
 * one sample of the two reply hops).
 */
export class ReplyAcks {
  private readonly byTopic = new Map<string, string[]>();

  constructor(
    private readonly perTopic = 64,
    private readonly topics = 256,
  ) {}

  note(replyTo: string, key: string, at: number = timingNow()): void {
    let list = this.byTopic.get(replyTo);
    if (!list) {
      if (this.byTopic.size >= this.topics) this.byTopic.delete(this.byTopic.keys().next().value as string);
      list = [];
      this.byTopic.set(replyTo, list);
    }
    if (list.length >= this.perTopic) list.shift();
    list.push(encodeAck(key, at));
  }

  take(replyTo: string): string[] {
    const list = this.byTopic.get(replyTo);
    if (!list) return [];
    this.byTopic.delete(replyTo);
    return list;
  }
}

const current = new AsyncLocalStorage<Timing>();

/** Runs `work` with `timing` as the request being timed (see `markTiming`). */
export const withTiming = <T>(timing: Timing, work: () => Promise<T>): Promise<T> => current.run(timing, work);

/** Marks a moment of the request being handled, if it is timed; a no-op otherwise. */
export function markTiming(name: TimingMark): void {
  current.getStore()?.mark(name);
}

/** For the decider runtime's `onStage` option: marks the decision and the commit of a timed command. */
export function markCommandStage(stage: 'decided' | 'appended'): void {
  markTiming(stage === 'decided' ? TimingMarks.decided : TimingMarks.appended);
}
