import { randomBytes, randomUUID } from 'node:crypto';
import { afterAll, beforeAll, describe, expect, it, jest } from '@jest/globals';
import { Queue } from 'bullmq';
import { toWire } from '@meridian/contracts/core';
import { WebhookDeliveries } from '@meridian/read-model/webhooks';
import { eventually } from '@meridian/shared/testing';
import { INSERT_CHUNK } from './fan-out/fan-out.consumer';
import { Receiver, testWebhooksRedisUrl, WebhooksBed } from './webhooks.test-bed';

/*
 * What keeps webhooks cheap when there is a lot of them: postponed jobs back off instead of polling,
 * the periodic reconciliation adds only the deliveries due soon, and the fan-out writes a big batch
 * in bounded INSERTs.
 */

const GEOFENCE = 'meridian.projection.geofence.entered.v1';
const sleep = (ms: number) => new Promise((resolve) => setTimeout(resolve, ms));

let bed: WebhooksBed;
const receivers: Receiver[] = [];

const receiver = async (): Promise<Receiver> => {
  const r = await Receiver.start();
  receivers.push(r);
  return r;
};

beforeAll(async () => {
  bed = await WebhooksBed.create('scale');
});

afterAll(async () => {
  await bed?.close();
  for (const r of receivers) await r.stop();
});

describe('webhooks at scale', () => {
  it('backs off the jobs of a hung endpoint instead of polling it every few hundred milliseconds', async () => {
    await bed.start({ endpointConcurrency: 1, concurrency: 8, timeoutMs: 2000, retryScheduleMs: [60_000] });
    const tenant = bed.tenant('hung');
    const hung = await receiver();
    hung.behave = () => 'hang';
    await bed.subscribe(tenant, hung.url);
    for (let i = 0; i < 10; i++) await bed.publish(tenant, GEOFENCE, { assetId: `h-${i}` }, `h-${i}`);

    await eventually(() => expect(hung.requests.length).toBeGreaterThanOrEqual(1));
    const before = bed.runtime.counters.postponed;
    await sleep(6000);
    const postponed = bed.runtime.counters.postponed - before;
    // Nine jobs waiting for one slot: about 216 postponements in 6 s at one per 250 ms each; with
    // 200, 400, 800, 1600, 2000 ms … (plus jitter) at most about 7 each.
    expect(postponed).toBeGreaterThan(0);
    expect(postponed).toBeLessThanOrEqual(9 * 7);
    expect(hung.maxOpen).toBe(1);
    await bed.stop();
  }, 60_000);

  it('adds only the deliveries due soon at each periodic pass; the full rebuild adds all', async () => {
    await bed.start({ reconcileMs: 500 });
    const tenant = bed.tenant('window');
    const endpoint = await receiver();
    const { webhook } = await bed.subscribe(tenant, endpoint.url);
    await eventually(() => expect(bed.runtime.dispatcher.status().rebuilds).toBeGreaterThanOrEqual(1));
    const [far, soon] = [`msg_${randomBytes(16).toString('hex')}`, `msg_${randomBytes(16).toString('hex')}`];
    // Recorded without being queued (as if the enqueue had failed): one due in an hour, one in a second.
    await bed.pool.query(
      `INSERT INTO webhooks.deliveries
         (id, webhook_id, tenant_id, event_type, event_id, ordering_key, payload, next_attempt_at)
       VALUES ($1, $3, $4, 'geofence.entered', $1, $1, '{}', clock_timestamp() + interval '1 hour'),
              ($2, $3, $4, 'geofence.entered', $2, $2, '{}', clock_timestamp() + interval '1 second')`,
      [far, soon, webhook.id, tenant],
    );
    const passes = bed.runtime.dispatcher.status().passes;

    await eventually(() => expect(endpoint.answered(soon)).toHaveLength(1));
    await eventually(() => expect(bed.runtime.dispatcher.status().passes).toBeGreaterThanOrEqual(passes + 3));
    const queue = new Queue(bed.queueName, { connection: { url: testWebhooksRedisUrl() }, prefix: 'meridian' });
    try {
      expect(await queue.getJob(far)).toBeUndefined();
      // The marker gone (a flush): everything pending is added again, the far one too.
      await bed.redis.del(`meridian:webhooks-rebuilt:${bed.queueName}`);
      await eventually(async () => expect(await queue.getJob(far)).toBeDefined());
    } finally {
      await queue.close();
    }
    expect(endpoint.ofId(far)).toHaveLength(0);
    await bed.stop();
  });

  it('records a big batch in sequential INSERTs of at most 5,000 rows, in order', async () => {
    const tenant = bed.tenant('chunks');
    const endpoint = await receiver();
    // Published before the consumer starts: one fetch holds many events, times six subscriptions.
    const events = 1500;
    const insert = jest.spyOn(WebhookDeliveries.prototype, 'insert');
    try {
      await bed.start({ concurrency: 1 });
      const webhooks = [];
      for (let i = 0; i < 6; i++) webhooks.push((await bed.subscribe(tenant, endpoint.url)).webhook);
      await bed.stop();
      // One key, one partition: Kafka keeps them in the order of `n`.
      await bed.bus.send(
        bed.topic,
        Array.from({ length: events }, (_, n) =>
          toWire(
            {
              id: randomUUID(),
              type: GEOFENCE,
              source: '/meridian/test',
              time: new Date().toISOString(),
              data: { n },
              correlationId: randomUUID(),
              tenantId: tenant,
            },
            'c',
          ),
        ),
      );
      insert.mockClear();
      await bed.start({ concurrency: 1 });
      await eventually(
        async () => {
          const { rows } = await bed.pool.query<{ n: number }>(
            `SELECT count(*)::int AS n FROM webhooks.deliveries WHERE tenant_id = $1`,
            [tenant],
          );
          expect(rows[0].n).toBe(events * webhooks.length);
        },
        { timeoutMs: 60_000 },
      );
      const sizes = insert.mock.calls.map(([rows]) => rows.length);
      expect(Math.max(...sizes)).toBe(INSERT_CHUNK);
      expect(sizes.reduce((a, b) => a + b, 0)).toBeGreaterThanOrEqual(events * webhooks.length);
      // Kafka order within a subscription and key survives the chunks: seq follows the events.
      const { rows } = await bed.pool.query<{ n: number }>(
        `SELECT (payload->'data'->>'n')::int AS n FROM webhooks.deliveries WHERE webhook_id = $1 ORDER BY seq`,
        [webhooks[0].id],
      );
      expect(rows.map((r) => r.n)).toEqual(Array.from({ length: events }, (_, i) => i));
    } finally {
      insert.mockRestore();
      await bed.stop();
    }
  }, 120_000);
});
