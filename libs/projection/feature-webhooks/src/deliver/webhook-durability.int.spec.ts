import { afterAll, beforeAll, describe, expect, it } from '@jest/globals';
import { eventually, FaultProxy } from '@meridian/shared/testing';
import { Receiver, testWebhooksRedisUrl, WebhooksBed } from '../webhooks.test-bed';

/*
 * PostgreSQL holds the deliveries; Redis only their jobs. Losing every Redis key in the middle of
 * a run (FLUSHDB on this file's own database stands for FLUSHALL: the machine's Redis is shared)
 * loses no delivery and sends none twice to a receiver that answered 2xx; Redis away altogether
 * only delays them.
 */

const GEOFENCE = 'meridian.projection.geofence.entered.v1';

let bed: WebhooksBed;
const receivers: Receiver[] = [];

beforeAll(async () => {
  bed = await WebhooksBed.create('durability');
});

afterAll(async () => {
  await bed?.close();
  for (const r of receivers) await r.stop();
});

describe('webhook delivery durability', () => {
  it('delivers every event exactly once to a slow receiver although Redis is flushed mid-run', async () => {
    await bed.start({ endpointConcurrency: 4, concurrency: 16, timeoutMs: 5000, reconcileMs: 60_000 });
    const tenant = bed.tenant('flush');
    const endpoint = await Receiver.start();
    receivers.push(endpoint);
    endpoint.behave = () => ({ delayMs: 150 });
    const { webhook } = await bed.subscribe(tenant, endpoint.url);
    const n = 40;
    for (let i = 0; i < n; i++) await bed.publish(tenant, GEOFENCE, { assetId: `f-${i}` }, `f-${i}`);

    await eventually(() => expect(endpoint.requests.length).toBeGreaterThanOrEqual(6));
    const rebuildsBefore = bed.runtime.dispatcher.status().rebuilds;
    await bed.redis.flushdb();
    expect(await bed.redis.dbsize()).toBe(0);
    // The marker is gone: the dispatcher rebuilds at once, not after WEBHOOKS_RECONCILE_MS (60 s here).
    await eventually(() => expect(bed.runtime.dispatcher.status().rebuilds).toBeGreaterThan(rebuildsBefore));

    await eventually(
      async () => {
        const rows = await bed.deliveryRows(webhook.id);
        expect(rows).toHaveLength(n);
        expect(rows.filter((r) => r.state === 'succeeded')).toHaveLength(n);
      },
      { timeoutMs: 60_000 },
    );
    const rows = await bed.deliveryRows(webhook.id);
    for (const row of rows) expect(endpoint.answered(row.id)).toHaveLength(1);
    expect(new Set(endpoint.requests.map((r) => r.id)).size).toBe(n);
    await bed.stop();
  });

  it('records deliveries while Redis is away and sends them once it is back', async () => {
    const redisUrl = new URL(testWebhooksRedisUrl());
    const proxy = new FaultProxy({ targetHost: redisUrl.hostname, targetPort: Number(redisUrl.port || 6379) });
    await proxy.start();
    try {
      const viaProxy = new URL(redisUrl);
      viaProxy.port = String(proxy.port);
      await bed.start({ redisUrl: viaProxy.toString(), reconcileMs: 1000 });
      const tenant = bed.tenant('outage');
      const endpoint = await Receiver.start();
      receivers.push(endpoint);
      const { webhook } = await bed.subscribe(tenant, endpoint.url);
      await eventually(() => expect(bed.runtime.dispatcher.status().redis).toBe('up'));
      await proxy.cut();
      await eventually(() => expect(bed.runtime.dispatcher.status().redis).toBe('down'));
      const ids: string[] = [];
      for (let i = 0; i < 5; i++) ids.push(await bed.publish(tenant, GEOFENCE, { assetId: `o-${i}` }, `o-${i}`));
      // Recorded in PostgreSQL while Redis is away, and not sent.
      await eventually(async () => expect((await bed.deliveryRows(webhook.id)).map((r) => r.event_id)).toEqual(ids));
      expect((await bed.deliveryRows(webhook.id)).every((r) => r.state === 'pending')).toBe(true);
      expect(endpoint.requests).toHaveLength(0);

      await proxy.restore();
      await eventually(
        async () => expect((await bed.deliveryRows(webhook.id)).filter((r) => r.state === 'succeeded')).toHaveLength(5),
        { timeoutMs: 30_000 },
      );
      for (const row of await bed.deliveryRows(webhook.id)) expect(endpoint.answered(row.id)).toHaveLength(1);
      await bed.stop();
    } finally {
      await proxy.stop();
    }
  });
});
