/**
 * The per-hop breakdown of real commands (issue 6): commands sent through the running system come
 * back as `GET /internal/timings` hops that are all present, never negative, add up to the command's
 * end-to-end time in the gateway, and lie inside the round trip the client saw.
 */
import { randomUUID } from 'node:crypto';
import { performance } from 'node:perf_hooks';
import { afterAll, beforeAll, describe, expect, it } from '@jest/globals';
import { api, authHeaders, type E2eSystem, http, startSystem } from './e2e-stack';

interface Summary {
  count: number;
  p50: number | null;
  p95: number | null;
  p99: number | null;
  max: number | null;
}
interface Timings {
  commands: number;
  endToEnd: Summary;
  hops: Record<string, Summary>;
  awaitingReplyAck: number;
  last: {
    correlationId?: string;
    endToEnd: number;
    hops: Record<string, number>;
    marks: Record<string, number>;
  } | null;
}

const HOPS = [
  'http_parse',
  'produce',
  'broker_to_consumer',
  'consumer_queue',
  'load_decide',
  'append_commit',
  'reply_produce',
  'reply_fetch',
  'gateway_reply',
  'http_write',
];
/**
 * Clock reads of two processes on one machine (`timeOrigin + now()`): each process fixes its wall
 * clock origin at start and then counts monotonic time, so a wall clock slewed since (NTP on a VM)
 * puts processes started at different times a little apart. 2 ms proved too tight once (0.25 ms over).
 */
const CLOCK_SLACK_MS = 10;

const tenant = `e2e-t-${randomUUID().slice(0, 6)}`;
let system: E2eSystem;

const wallNow = (): number => performance.timeOrigin + performance.now();

/** Registers an asset; returns the response's correlation id and when the client sent and got it. */
async function register(name: string): Promise<{ correlationId: string; sentAt: number; doneAt: number }> {
  const sentAt = wallNow();
  const res = await fetch(`${api}/v1/assets`, {
    method: 'POST',
    headers: { 'content-type': 'application/json', ...(await authHeaders(tenant)) },
    body: JSON.stringify({ name, kind: 'drone' }),
  });
  await res.arrayBuffer();
  const doneAt = wallNow();
  expect(res.status).toBe(201);
  return { correlationId: res.headers.get('x-correlation-id') ?? '', sentAt, doneAt };
}

const timings = async (): Promise<Timings> => {
  const res = await http<Timings>('GET', '/internal/timings');
  expect(res.status).toBe(200);
  return res.body;
};

beforeAll(async () => {
  system = await startSystem([tenant]);
});

afterAll(async () => {
  await system?.stop();
});

describe('GET /internal/timings on the running system', () => {
  it("breaks a command into every hop, adding up to its end-to-end time, within the client's round trip", async () => {
    expect((await http('DELETE', '/internal/timings')).status).toBe(204);
    expect((await timings()).commands).toBe(0);

    const first = await register('Timed drone 1');
    // A refused command never reaches the bus: it is not counted.
    const refused = await http('POST', '/v1/assets', { body: { name: '', kind: 'drone' }, tenant });
    expect(refused.status).toBe(400);
    // The second reply brings the broker's acknowledgement of the first one's reply.
    await register('Timed drone 2');

    const t = await timings();
    expect(t.commands).toBe(2);
    expect(t.endToEnd.count).toBe(2);
    expect(Object.keys(t.hops)).toEqual(HOPS);
    for (const hop of HOPS) {
      const expected = hop === 'reply_produce' || hop === 'reply_fetch' ? 1 : 2;
      expect({ hop, count: t.hops[hop].count }).toEqual({ hop, count: expected });
      expect(t.hops[hop].max).toBeGreaterThanOrEqual(0);
    }
    expect(t.awaitingReplyAck).toBe(1);

    const last = t.last;
    expect(last).not.toBeNull();
    if (!last) return;
    expect(last.correlationId).toBe(first.correlationId);
    expect(Object.keys(last.hops)).toEqual(HOPS);
    for (const hop of HOPS) expect({ hop, negative: last.hops[hop] < 0 }).toEqual({ hop, negative: false });
    const sum = HOPS.reduce((s, hop) => s + last.hops[hop], 0);
    expect(sum).toBeCloseTo(last.endToEnd, 3);
    // The gateway's part of the round trip lies inside the client's.
    expect(last.endToEnd).toBeGreaterThan(0);
    expect(last.marks['gw_in']).toBeGreaterThanOrEqual(first.sentAt - CLOCK_SLACK_MS);
    expect(last.marks['gw_done']).toBeLessThanOrEqual(first.doneAt + CLOCK_SLACK_MS);
    expect(last.endToEnd).toBeLessThanOrEqual(first.doneAt - first.sentAt + CLOCK_SLACK_MS);

    expect((await http('DELETE', '/internal/timings')).status).toBe(204);
    const reset = await timings();
    expect(reset.commands).toBe(0);
    expect(reset.last).toBeNull();
    expect(reset.hops['produce'].count).toBe(0);
  });
});
