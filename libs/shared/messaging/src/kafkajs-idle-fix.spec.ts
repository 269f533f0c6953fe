import { createRequire } from 'node:module';
import { afterEach, describe, expect, it } from '@jest/globals';
import { eventually } from '@meridian/shared/util';
import { fixKafkajsIdleTimers, type RequestQueueState } from './kafkajs-idle-fix';

interface Queue extends RequestQueueState {
  maxInFlightRequests: number;
  push(request: {
    entry: { correlationId: number; apiKey: number; apiName: string; apiVersion: number };
    expectResponse: boolean;
    sendRequest: () => void;
    requestTimeout: number;
  }): void;
  destroy(): void;
}

/** kafkajs's real per-connection request queue (the class every broker connection uses). */
const RequestQueue = createRequire(__filename)('kafkajs/src/network/requestQueue') as new (options: object) => Queue;
const silent = { debug: () => undefined, info: () => undefined, warn: () => undefined, error: () => undefined };
const newQueue = (maxInFlightRequests: number): Queue =>
  new RequestQueue({
    maxInFlightRequests,
    requestTimeout: 30_000,
    enforceRequestTimeout: false,
    clientId: 't',
    broker: 'b',
    logger: silent,
  });

describe('kafkajs idle request queues (tulios/kafkajs#1556)', () => {
  const queues: Queue[] = [];
  afterEach(() => queues.splice(0).forEach((q) => q.destroy()));

  it('arms no timer on a connection with nothing waiting', () => {
    expect(fixKafkajsIdleTimers()).toBe(true);
    const queue = newQueue(1);
    queues.push(queue);
    // What every answered request does: check the queue. Unfixed, this re-arms a 1 ms timer forever.
    queue.checkPendingRequests();
    expect(queue.throttleCheckTimeoutId).toBeNull();
  });

  it('still sends a request that had to wait, once it may', async () => {
    fixKafkajsIdleTimers();
    const queue = newQueue(0); // nothing may be in flight: the request waits
    queues.push(queue);
    let sent = 0;
    queue.push({
      entry: { correlationId: 1, apiKey: 1, apiName: 'Fetch', apiVersion: 11 },
      expectResponse: true,
      sendRequest: () => void sent++,
      requestTimeout: 30_000,
    });
    expect(sent).toBe(0);
    expect(queue.pending).toHaveLength(1);
    expect(queue.throttleCheckTimeoutId).not.toBeNull();
    queue.maxInFlightRequests = 1;
    await eventually(() => expect(sent).toBe(1));
    expect(queue.pending).toHaveLength(0);
  });

  it('waits out a broker throttle before sending', async () => {
    fixKafkajsIdleTimers();
    const queue = newQueue(5);
    queues.push(queue);
    queue.throttledUntil = Date.now() + 150;
    let sentAt = 0;
    const pushedAt = Date.now();
    queue.push({
      entry: { correlationId: 2, apiKey: 1, apiName: 'Fetch', apiVersion: 11 },
      expectResponse: true,
      sendRequest: () => void (sentAt = Date.now()),
      requestTimeout: 30_000,
    });
    await eventually(() => expect(sentAt).toBeGreaterThan(0));
    expect(sentAt - pushedAt).toBeGreaterThanOrEqual(140);
  });
});
