import { Injectable, type OnModuleInit, Optional } from '@nestjs/common';
import { HttpAdapterHost } from '@nestjs/core';
import type { FastifyInstance, FastifyReply, FastifyRequest } from 'fastify';
import {
  breakdown,
  COMMAND_HOPS,
  LatencyHistogram,
  type LatencySummary,
  REPLY_ACK_HOPS,
  Timing,
  TimingMarks,
  timingNow,
} from '@meridian/shared/messaging';
import { logContext } from '@meridian/shared/service-kit';

/** Fastify request decoration: when the request arrived (onRequest), epoch ms. */
const STARTED_AT = 'meridianStartedAt';
type StampedRequest = FastifyRequest & { [STARTED_AT]?: number };

/** Bound of the commands waiting for their reply's acknowledgement (and of acks waiting for theirs). */
const MAX_WAITING = 2048;

export interface CommandBreakdown {
  /** The request's correlation id (`x-correlation-id`). */
  readonly correlationId: string | undefined;
  /** gw_in → gw_done, ms. */
  readonly endToEnd: number | undefined;
  readonly hops: Readonly<Record<string, number>>;
  /** The raw marks, epoch ms. */
  readonly marks: Readonly<Record<string, number>>;
}

export interface TimingsSnapshot {
  /** When the histograms were last reset. */
  readonly since: string;
  /** Commands answered by a reply since then. */
  readonly commands: number;
  readonly endToEnd: LatencySummary;
  /** Per hop, in path order (see `COMMAND_HOPS`), milliseconds. */
  readonly hops: Readonly<Record<string, LatencySummary>>;
  /** Commands whose reply's acknowledgement has not come yet (it comes with the next reply). */
  readonly awaitingReplyAck: number;
  /** The breakdown of the latest command whose every hop is known. */
  readonly last: CommandBreakdown | null;
}

/**
 * The gateway's per-hop latency breakdown of commands (issue 6): a timer on every real command,
 * aggregated in fixed-size histograms, served at `GET /internal/timings`. A command's reply
 * brings the workflow's marks; the moment the broker acknowledged that reply comes with a later
 * reply, so the two reply hops (`REPLY_ACK_HOPS`) are recorded then and the others at once.
 */
@Injectable()
export class CommandTimings implements OnModuleInit {
  private readonly hops = new Map(COMMAND_HOPS.map((h) => [h.hop, new LatencyHistogram()]));
  private readonly endToEnd = new LatencyHistogram();
  private readonly awaitingAck = new Map<string, Timing>();
  private readonly earlyAcks = new Map<string, number>();
  private last: CommandBreakdown | null = null;
  private commands = 0;
  private since = new Date();

  constructor(@Optional() private readonly adapterHost?: HttpAdapterHost) {}

  /** Stamps each request's arrival, so the first hop includes reading and parsing the body. */
  onModuleInit(): void {
    const fastify = this.adapterHost?.httpAdapter?.getInstance<FastifyInstance>();
    if (typeof fastify?.addHook !== 'function' || fastify.hasRequestDecorator(STARTED_AT)) return;
    fastify.decorateRequest(STARTED_AT, 0);
    fastify.addHook('onRequest', (request, _reply, done) => {
      (request as StampedRequest)[STARTED_AT] = timingNow();
      done();
    });
  }

  /** A timer for the command this request sends; it is recorded when the response is written. */
  begin(request: FastifyRequest, reply: FastifyReply): Timing {
    const timing = new Timing();
    timing.mark(TimingMarks.httpIn, (request as StampedRequest)[STARTED_AT] || timingNow());
    timing.label = logContext.getStore()?.correlationId;
    reply.raw.once('finish', () => this.finished(timing));
    return timing;
  }

  snapshot(): TimingsSnapshot {
    return {
      since: this.since.toISOString(),
      commands: this.commands,
      endToEnd: this.endToEnd.summary(),
      hops: Object.fromEntries([...this.hops].map(([hop, histogram]) => [hop, histogram.summary()])),
      awaitingReplyAck: this.awaitingAck.size,
      last: this.last,
    };
  }

  reset(): void {
    for (const histogram of this.hops.values()) histogram.reset();
    this.endToEnd.reset();
    this.awaitingAck.clear();
    this.earlyAcks.clear();
    this.last = null;
    this.commands = 0;
    this.since = new Date();
  }

  private finished(timing: Timing): void {
    // Answered without a reply (refused input, an idempotent replay, a timeout): nothing to break down.
    if (timing.get(TimingMarks.replyReceived) === undefined) return;
    timing.mark(TimingMarks.httpOut);
    this.commands++;
    const { total, hops } = breakdown(timing.marks);
    for (const [hop, ms] of Object.entries(hops)) this.hops.get(hop)?.record(ms);
    if (total !== undefined) this.endToEnd.record(total);
    for (const [key, at] of timing.acks) this.replyAcked(key, at);
    const key = timing.ackKey;
    if (key === undefined) return;
    const ack = this.earlyAcks.get(key);
    if (ack === undefined) {
      remember(this.awaitingAck, key, timing);
    } else {
      this.earlyAcks.delete(key);
      this.complete(timing, ack);
    }
  }

  private replyAcked(key: string, at: number): void {
    const timing = this.awaitingAck.get(key);
    if (!timing) {
      remember(this.earlyAcks, key, at);
      return;
    }
    this.awaitingAck.delete(key);
    this.complete(timing, at);
  }

  private complete(timing: Timing, ackedAt: number): void {
    timing.mark(TimingMarks.replyAcked, ackedAt);
    const { total, hops } = breakdown(timing.marks);
    for (const hop of REPLY_ACK_HOPS) {
      const ms = hops[hop];
      if (ms !== undefined) this.hops.get(hop)?.record(ms);
    }
    this.last = {
      correlationId: timing.label,
      endToEnd: total,
      hops,
      marks: Object.fromEntries(timing.marks),
    };
  }
}

/** Adds to a bounded map, dropping the oldest entry when it is full. */
function remember<V>(map: Map<string, V>, key: string, value: V): void {
  if (map.size >= MAX_WAITING) map.delete(map.keys().next().value as string);
  map.set(key, value);
}
