import { describe, expect, it } from '@jest/globals';
import {
  ackKeyOf,
  breakdown,
  COMMAND_HOPS,
  encodeAck,
  REPLY_ACK_HOPS,
  ReplyAcks,
  Timing,
  TimingMarks as M,
} from './timing';
import { LatencyHistogram } from './timing-histogram';

const T0 = 1_767_000_000_000.125;

/** A command's marks at the given offsets (ms) from T0, in chain order. */
const marksAt = (offsets: Partial<Record<(typeof M)[keyof typeof M], number>>): Map<string, number> =>
  new Map(Object.entries(offsets).map(([name, ms]) => [name, T0 + (ms as number)]));

describe('timing header', () => {
  it('round-trips marks with microsecond precision, and acks of earlier replies beside them', () => {
    const sent = new Timing();
    sent.mark(M.httpIn, T0);
    sent.mark(M.sent, T0 + 0.4567);
    const header = sent.encode([encodeAck('a1b2c3d4e5f6', T0 - 3.25)]);
    expect(header).toBe(
      `gw_in=${T0.toFixed(3)};gw_sent=${(T0 + 0.4567).toFixed(3)};ack.a1b2c3d4e5f6=${(T0 - 3.25).toFixed(3)}`,
    );

    const received = Timing.decode(header);
    expect(received.get(M.httpIn)).toBeCloseTo(T0, 3);
    expect(received.get(M.sent)).toBeCloseTo(T0 + 0.457, 3);
    expect(received.acks).toEqual([['a1b2c3d4e5f6', T0 - 3.25]]);

    // The replier extends what it got; the requester takes the marks it lacks.
    received.mark(M.received, T0 + 2);
    const requester = new Timing();
    requester.mark(M.httpIn, T0);
    requester.absorb(Timing.decode(received.encode()));
    expect([...requester.marks.keys()]).toEqual([M.httpIn, M.sent, M.received]);
    expect(requester.get(M.httpIn)).toBe(T0);
  });

  it('never throws on a malformed header: it keeps the pairs that parse', () => {
    const t = Timing.decode('garbage;=5;gw_in=abc;gw_sent=12.5;;ack.k=NaN;svc_recv=13');
    expect(Object.fromEntries(t.marks)).toEqual({ gw_sent: 12.5, svc_recv: 13 });
    expect(t.acks).toEqual([]);
    expect(Timing.decode(undefined).marks.size).toBe(0);
  });

  it('derives a 12-hex-digit ack key from a reply key', () => {
    expect(ackKeyOf('3f2a9c1e-8b7d-4c21-9f00-aa11bb22cc33')).toBe('3f2a9c1e8b7d');
  });
});

describe('breakdown', () => {
  const all = marksAt({
    gw_in: 0,
    gw_sent: 0.5,
    gw_acked: 2,
    svc_recv: 3,
    svc_start: 3.25,
    svc_decided: 4,
    svc_appended: 7,
    svc_end: 7.5,
    svc_acked: 9,
    gw_recv: 10,
    gw_handled: 10.25,
    gw_done: 10.75,
  });

  it('gives every hop, in path order, summing to the end-to-end time', () => {
    const { total, hops } = breakdown(all);
    expect(Object.keys(hops)).toEqual(COMMAND_HOPS.map((h) => h.hop));
    expect(hops).toEqual({
      http_parse: 0.5,
      produce: 1.5,
      broker_to_consumer: 1,
      consumer_queue: 0.25,
      load_decide: 0.75,
      append_commit: 3,
      reply_produce: 2,
      reply_fetch: 1,
      gateway_reply: 0.25,
      http_write: 0.5,
    });
    expect(total).toBe(10.75);
  });

  it('takes an ack seen after the delivery as the delivery: no negative hop, the same total', () => {
    // The consumer got the request (3) before the producer saw its ack (3.5); likewise the reply.
    const late = new Map(all);
    late.set(M.acked, T0 + 3.5);
    late.set(M.replyAcked, T0 + 10.5);
    const { total, hops } = breakdown(late);
    expect(hops['produce']).toBe(2.5);
    expect(hops['broker_to_consumer']).toBe(0);
    expect(hops['reply_produce']).toBe(3);
    expect(hops['reply_fetch']).toBe(0);
    expect(Object.values(hops).every((ms) => ms >= 0)).toBe(true);
    expect(Object.values(hops).reduce((a, b) => a + b, 0)).toBeCloseTo(total ?? Number.NaN, 9);
  });

  it('leaves out the hops whose marks are missing; a hop with a fallback start uses it', () => {
    const partial = new Map(all);
    partial.delete(M.replyAcked);
    partial.delete(M.decided);
    partial.delete(M.appended);
    partial.delete(M.handlerDone);
    const { total, hops } = breakdown(partial);
    expect(Object.keys(hops)).toEqual(['http_parse', 'produce', 'broker_to_consumer', 'consumer_queue', 'http_write']);
    expect(hops['http_write']).toBe(0.75); // gw_recv → gw_done without the handler's mark
    expect(total).toBe(10.75);

    partial.set(M.replyAcked, T0 + 9);
    expect(breakdown(partial).hops['reply_produce']).toBe(1.5); // svc_end → svc_acked
    expect([...REPLY_ACK_HOPS]).toEqual(['reply_produce', 'reply_fetch']);
  });
});

describe('ReplyAcks', () => {
  it('hands each ack once, to the next reply to the same topic', () => {
    const acks = new ReplyAcks();
    acks.note('replies.a', 'k1', T0);
    acks.note('replies.b', 'k2', T0 + 1);
    acks.note('replies.a', 'k3', T0 + 2);
    expect(acks.take('replies.a')).toEqual([encodeAck('k1', T0), encodeAck('k3', T0 + 2)]);
    expect(acks.take('replies.a')).toEqual([]);
    expect(acks.take('replies.b')).toEqual([encodeAck('k2', T0 + 1)]);
  });

  it('is bounded per topic and in topics, dropping the oldest', () => {
    const acks = new ReplyAcks(2, 2);
    for (let i = 0; i < 5; i++) acks.note('replies.a', `k${i}`, i);
    acks.note('replies.b', 'b', 0);
    acks.note('replies.c', 'c', 0); // a third topic: the oldest (a) goes
    expect(acks.take('replies.a')).toEqual([]);
    expect(acks.take('replies.b')).toEqual([encodeAck('b', 0)]);
    acks.note('replies.d', 'd', 0);
    expect(acks.take('replies.c')).toEqual([encodeAck('c', 0)]);

    const few = new ReplyAcks(2, 2);
    for (let i = 0; i < 5; i++) few.note('replies.a', `k${i}`, i);
    expect(few.take('replies.a')).toEqual([encodeAck('k3', 3), encodeAck('k4', 4)]);
  });
});

describe('LatencyHistogram', () => {
  it('answers nearest-rank percentiles within 1 %, and the exact max, count and mean', () => {
    const h = new LatencyHistogram();
    // 1..1000 ms in a scrambled order.
    for (let i = 0; i < 1000; i++) h.record(((i * 617) % 1000) + 1);
    const s = h.summary();
    expect(s.count).toBe(1000);
    expect(s.p50).toBeGreaterThanOrEqual(500 * 0.99);
    expect(s.p50).toBeLessThanOrEqual(500 * 1.01);
    expect(s.p95).toBeGreaterThanOrEqual(950 * 0.99);
    expect(s.p95).toBeLessThanOrEqual(950 * 1.01);
    expect(s.p99).toBeGreaterThanOrEqual(990 * 0.99);
    expect(s.p99).toBeLessThanOrEqual(1000);
    expect(s.max).toBe(1000);
    expect(s.mean).toBe(500.5);
  });

  it('keeps sub-millisecond and very long values apart and within the recorded range', () => {
    const h = new LatencyHistogram();
    for (let i = 0; i < 98; i++) h.record(0.05);
    h.record(0);
    h.record(120_000);
    expect(h.percentile(50)).toBeGreaterThanOrEqual(0.05 * 0.99);
    expect(h.percentile(50)).toBeLessThanOrEqual(0.05 * 1.01);
    expect(h.percentile(1)).toBe(0);
    expect(h.percentile(100)).toBe(120_000);
    expect(h.summary().p99).toBeLessThan(0.06);
  });

  it('ignores negative and non-finite values, and resets to empty', () => {
    const h = new LatencyHistogram();
    h.record(-1);
    h.record(Number.NaN);
    h.record(Number.POSITIVE_INFINITY);
    expect(h.summary()).toEqual({ count: 0, p50: null, p95: null, p99: null, max: null, mean: null });
    h.record(3);
    expect(h.summary().p99).toBe(3);
    h.reset();
    expect(h.count).toBe(0);
    expect(h.percentile(50)).toBeNull();
  });
});
