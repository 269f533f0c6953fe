import { afterAll, beforeAll, describe, expect, it } from '@jest/globals';
import { Pool } from 'pg';
import { eventually, FaultProxy, testDatabaseUrl } from '@meridian/shared/testing';
import { Receiver, testWebhooksRedisUrl, WebhooksBed } from '../webhooks.test-bed';

/*
 * PostgreSQL holds the deliveries; Redis only their jobs. Losing every Redis key in the middle of
 * a run (FLUSHDB on this file's own database stands for FLUSHALL: the machine's Redis is shared)
 * loses no delivery and sends none twice to a receiver that answered 2xx; Redis away altogether
 * only delays them; PostgreSQL failing right after a receiver answered 2xx does not make the
 * dispatcher send the delivery again.
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
    // (No dbsize check: attempts in flight write their slot keys again within milliseconds.)
    await bed.redis.flushdb();
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

  it('sends nothing twice when PostgreSQL fails between the 2xx and its record', async () => {
    const pgUrl = new URL(testDatabaseUrl());
    const proxy = new FaultProxy({ targetHost: pgUrl.hostname, targetPort: Number(pgUrl.port || 5432) });
    await proxy.start();
    const viaProxy = new URL(pgUrl);
    viaProxy.hostname = '127.0.0.1';
    viaProxy.port = String(proxy.port);
    const pool = new Pool({ connectionString: viaProxy.toString(), max: 8, connectionTimeoutMillis: 2000 });
    pool.on('error', () => undefined); // idle connections reset by the cut
    try {
      await bed.start({ timeoutMs: 1000 }, pool);
      const tenant = bed.tenant('pg-blip');
      const endpoint = await Receiver.start();
      receivers.push(endpoint);
      // The first request cuts PostgreSQL off, then answers 200: the dispatcher cannot record it.
      endpoint.behave = (_request, nth) => {
        if (nth !== 1) return 'ok';
        void proxy.cut();
        return { delayMs: 100 };
      };
      const { webhook } = await bed.subscribe(tenant, endpoint.url);
      await bed.publish(tenant, GEOFENCE, { assetId: 'pg-1' }, 'pg-1');
      await eventually(() => expect(endpoint.answered(endpoint.requests[0]?.id ?? '-')).toHaveLength(1));
      const id = endpoint.requests[0].id;
      await eventually(() => expect(bed.runtime.dispatcher.status().unrecorded).toBe(1));
      // Out long enough for the attempt's lease (timeout + 15 s margin) not to matter: 3 s.
      await new Promise((resolve) => setTimeout(resolve, 3000));
      expect((await bed.deliveryRows(webhook.id)).map((r) => [r.id, r.state, r.attempts])).toEqual([
        [id, 'pending', 0],
      ]);
      await proxy.restore();

      await eventually(
        async () =>
          expect((await bed.deliveryRows(webhook.id)).map((r) => [r.state, r.attempts])).toEqual([['succeeded', 1]]),
        { timeoutMs: 40_000 },
      );
      expect(endpoint.ofId(id)).toHaveLength(1);
      expect(bed.runtime.dispatcher.status().unrecorded).toBe(0);
      expect(bed.runtime.counters.succeeded).toBe(1);
      await bed.stop();
    } finally {
      await proxy.stop();
      await pool.end();
    }
  }, 90_000);
});
