import { randomUUID } from 'node:crypto';
import { afterAll, beforeAll, describe, expect, it } from '@jest/globals';
import { queryRejection } from '@meridian/contracts/core';
import { silentLog } from '@meridian/shared/util';
import type { MessageBus } from './bus';
import type { Subscription } from './consumer';
import { RequestReplyClient } from './request-reply';
import { serveRequests } from './serve';
import { createTestBus, createTopics, deleteTopics, uniqueTopic } from './testing/spec-support';
import { breakdown, COMMAND_HOPS, markCommandStage, Timing, TimingMarks as M } from './timing';

const SERVER_MARKS = [M.received, M.started, M.decided, M.appended, M.handled];

describe('per-hop timing of requests on the real broker', () => {
  let bus: MessageBus;
  let client: RequestReplyClient;
  let server: Subscription;
  let requests: string;

  beforeAll(async () => {
    bus = createTestBus('timing-int');
    requests = uniqueTopic('timed-requests');
    await createTopics(bus, [requests]);
    server = await serveRequests(bus, {
      service: 'testsvc',
      topic: requests,
      groupId: `test-timing-${randomUUID()}`,
      log: silentLog,
      rejection: queryRejection,
      routes: {
        'meridian.test.command.v1': async () => {
          markCommandStage('decided');
          await new Promise((r) => setTimeout(r, 5)); // an append that takes a moment
          markCommandStage('appended');
          return { type: 'meridian.test.done.v1', data: {} };
        },
      },
    });
    client = new RequestReplyClient(bus, 'testgw', `i${randomUUID().slice(0, 8)}`, silentLog);
    await client.start();
  });

  afterAll(async () => {
    await client?.stop();
    await server?.stop();
    await deleteTopics(bus, [requests]);
    await bus?.close();
  });

  const send = async (timing?: Timing) => {
    const outcome = await client.request(
      { topic: requests, key: 'k', type: 'meridian.test.command.v1', data: {}, ...(timing ? { timing } : {}) },
      20_000,
    );
    expect(outcome.status).toBe('replied');
    return outcome;
  };

  it("brings the server's marks back on the reply, and the reply's ack with the next reply", async () => {
    const first = new Timing();
    first.mark(M.httpIn);
    await send(first);
    // gw_sent, gw_acked, the server's marks (echoing gw_in and gw_sent), gw_recv; no ack yet.
    for (const mark of [M.httpIn, M.sent, M.acked, ...SERVER_MARKS, M.replyReceived]) {
      expect(first.get(mark)).toBeDefined();
    }
    expect(first.get(M.replyAcked)).toBeUndefined();
    expect(first.ackKey).toMatch(/^[0-9a-f]{12}$/);
    // Each party's marks are in order on its own clock.
    const at = (m: string): number => first.get(m) ?? Number.NaN;
    expect(at(M.acked)).toBeGreaterThan(at(M.sent));
    expect(at(M.appended) - at(M.decided)).toBeGreaterThanOrEqual(4);
    expect(at(M.handled)).toBeGreaterThanOrEqual(at(M.appended));

    const second = new Timing();
    second.mark(M.httpIn);
    await send(second);
    expect(second.acks).toHaveLength(1);
    const [key, ackedAt] = second.acks[0];
    expect(key).toBe(first.ackKey);
    expect(ackedAt).toBeGreaterThan(at(M.handled));

    first.mark(M.replyAcked, ackedAt);
    first.mark(M.httpOut);
    const { total, hops } = breakdown(first.marks);
    // Every hop but the gateway route's own (gw_handled is the HTTP controller's mark).
    expect(Object.keys(hops)).toHaveLength(COMMAND_HOPS.length - 1);
    expect(Object.values(hops).every((ms) => ms >= 0)).toBe(true);
    expect(Object.values(hops).reduce((a, b) => a + b, 0)).toBeCloseTo(total ?? Number.NaN, 6);
  });

  it('acknowledges only timed replies: an untimed request in between adds no ack', async () => {
    const timed = new Timing();
    await send(timed);
    await send(); // untimed: nothing is marked, nothing taken
    const next = new Timing();
    await send(next);
    expect(next.acks.map(([k]) => k)).toEqual([timed.ackKey]);
  });
});
