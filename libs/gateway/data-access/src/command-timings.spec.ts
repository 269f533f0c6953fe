import { EventEmitter } from 'node:events';
import { describe, expect, it } from '@jest/globals';
import type { FastifyReply, FastifyRequest } from 'fastify';
import { COMMAND_HOPS, type Timing, TimingMarks as M, timingNow } from '@meridian/shared/messaging';
import { CommandTimings } from './command-timings';

/** A second ago: the response's `finish` marks gw_done with the real clock. */
const T0 = Math.floor(timingNow()) - 1000;

interface Http {
  readonly request: FastifyRequest;
  readonly reply: FastifyReply;
  readonly raw: EventEmitter;
}

/** What Fastify hands the controller, as far as CommandTimings reads it. */
const http = (startedAt: number): Http => {
  const raw = new EventEmitter();
  return {
    request: { meridianStartedAt: startedAt } as unknown as FastifyRequest,
    reply: { raw } as unknown as FastifyReply,
    raw,
  };
};

/** The marks RequestReplyClient and the replier add to a command started at `at` (1 ms apart). */
function replied(timing: Timing, at: number, ackKey: string, acks: [string, number][] = []): void {
  timing.ackKey = ackKey;
  const marks = [
    M.sent,
    M.acked,
    M.received,
    M.started,
    M.decided,
    M.appended,
    M.handled,
    M.replyReceived,
    M.handlerDone,
  ];
  marks.forEach((mark, i) => timing.mark(mark, at + i + 1));
  timing.acks.push(...acks);
}

describe('CommandTimings', () => {
  it('records the hops known at the response, and the reply hops when a later reply brings the ack', () => {
    const timings = new CommandTimings();
    const first = http(T0);
    const a = timings.begin(first.request, first.reply);
    expect(a.get(M.httpIn)).toBe(T0);
    replied(a, T0, 'aaaaaaaaaaaa');
    first.raw.emit('finish');

    let snapshot = timings.snapshot();
    expect(snapshot.commands).toBe(1);
    expect(snapshot.awaitingReplyAck).toBe(1);
    expect(snapshot.hops['produce'].count).toBe(1);
    expect(snapshot.hops['reply_produce'].count).toBe(0);
    expect(snapshot.endToEnd.count).toBe(1);
    expect(snapshot.last).toBeNull();

    // The second reply carries the first one's acknowledgement (at T0 + 7.5).
    const second = http(T0 + 20);
    const b = timings.begin(second.request, second.reply);
    replied(b, T0 + 20, 'bbbbbbbbbbbb', [['aaaaaaaaaaaa', T0 + 7.5]]);
    second.raw.emit('finish');

    snapshot = timings.snapshot();
    expect(snapshot.commands).toBe(2);
    expect(snapshot.awaitingReplyAck).toBe(1); // the second waits for a third reply
    expect(snapshot.hops['reply_produce']).toMatchObject({ count: 1, max: 1.5 }); // svc_appended (T0+6) → ack
    expect(snapshot.hops['reply_fetch']).toMatchObject({ count: 1, max: 0.5 }); // ack → gw_recv (T0+8)
    const last = snapshot.last;
    expect(last?.hops).toMatchObject({ produce: 1, reply_produce: 1.5, reply_fetch: 0.5 });
    const sum = Object.values(last?.hops ?? {}).reduce((x, y) => x + y, 0);
    expect(sum).toBeCloseTo(last?.endToEnd ?? Number.NaN, 6);
    expect(Object.keys(last?.hops ?? {})).toEqual(COMMAND_HOPS.map((h) => h.hop));
  });

  it('joins an acknowledgement that arrives before its own command was recorded', () => {
    const timings = new CommandTimings();
    const slow = http(T0);
    const a = timings.begin(slow.request, slow.reply);
    replied(a, T0, 'aaaaaaaaaaaa');
    const fast = http(T0 + 1);
    const b = timings.begin(fast.request, fast.reply);
    replied(b, T0 + 1, 'bbbbbbbbbbbb', [['aaaaaaaaaaaa', T0 + 8.25]]);
    fast.raw.emit('finish'); // b's response is written first and brings a's ack
    slow.raw.emit('finish');
    const snapshot = timings.snapshot();
    expect(snapshot.hops['reply_produce'].count).toBe(1);
    expect(snapshot.last?.marks[M.replyAcked]).toBe(T0 + 8.25);
    expect(snapshot.awaitingReplyAck).toBe(1);
  });

  it('skips responses that no reply answered, and forgets everything on reset', () => {
    const timings = new CommandTimings();
    const refused = http(T0);
    timings.begin(refused.request, refused.reply);
    refused.raw.emit('finish'); // e.g. a 400 before anything was sent
    expect(timings.snapshot().commands).toBe(0);

    const ok = http(T0);
    replied(timings.begin(ok.request, ok.reply), T0, 'cccccccccccc');
    ok.raw.emit('finish');
    expect(timings.snapshot().commands).toBe(1);
    timings.reset();
    const snapshot = timings.snapshot();
    expect(snapshot.commands).toBe(0);
    expect(snapshot.awaitingReplyAck).toBe(0);
    expect(snapshot.hops['http_parse'].count).toBe(0);
  });
});
