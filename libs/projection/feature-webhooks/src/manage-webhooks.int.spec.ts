import { randomUUID } from 'node:crypto';
import { afterAll, beforeAll, describe, expect, it } from '@jest/globals';
import type { Delivery, Webhook } from '@meridian/contracts/webhooks';
import { eventually } from '@meridian/shared/testing';
import { sealSecret } from '@meridian/shared/util';
import { newSecret, type Page, Receiver, resultOf, testSecretsKey, WebhooksBed } from './webhooks.test-bed';

/*
 * Managing subscriptions through the request handlers, over the real database: tenants see only
 * their own subscriptions and deliveries, the per-tenant limit holds, lists page by keyset, replay
 * and delete act on deliveries as the contracts say.
 */

const GEOFENCE = 'meridian.projection.geofence.entered.v1';

let bed: WebhooksBed;
let closedPort: Receiver;

beforeAll(async () => {
  bed = await WebhooksBed.create('manage');
  // A long first retry: a delivery that failed once stays pending for the whole test.
  await bed.start({ maxPerTenant: 3, retryScheduleMs: [120_000] });
  closedPort = await Receiver.start();
  await closedPort.stop();
});

afterAll(async () => {
  await bed?.close();
});

const sealed = () => sealSecret(testSecretsKey, newSecret());

describe('managing webhooks', () => {
  it("answers another tenant's subscription as not found, for every operation", async () => {
    const owner = bed.tenant('owner');
    const other = bed.tenant('other');
    const { webhook } = await bed.subscribe(owner, 'https://93.184.216.34/owner');
    const h = bed.handlers;
    const webhookId = webhook.id;
    const notFound = { code: 'WEBHOOK.NOT_FOUND' };
    await expect(h.get.get(bed.request(other, { webhookId }))).rejects.toMatchObject(notFound);
    await expect(h.update.update(bed.request(other, { webhookId, paused: true }))).rejects.toMatchObject(notFound);
    await expect(h.rotate.rotate(bed.request(other, { webhookId, sealedSecret: sealed() }))).rejects.toMatchObject(
      notFound,
    );
    await expect(h.deliveries.list(bed.request(other, { webhookId, limit: 10 }))).rejects.toMatchObject(notFound);
    await expect(h.remove.delete(bed.request(other, { webhookId }))).rejects.toMatchObject(notFound);
    await expect(
      h.replay.replay(bed.request(other, { webhookId, deliveryId: 'msg_00000000000000000000000000000000' })),
    ).rejects.toMatchObject({ code: 'WEBHOOK.DELIVERY_NOT_FOUND' });
    expect(resultOf<Page<Webhook>>(await h.list.list(bed.request(other, { limit: 10 }))).items).toEqual([]);
    // The owner still has it, unchanged.
    expect(resultOf<Webhook>(await h.get.get(bed.request(owner, { webhookId })))).toMatchObject({
      id: webhookId,
      paused: false,
      url: 'https://93.184.216.34/owner',
    });
  });

  it('refuses a subscription past the limit, answers a repeated create with the same subscription', async () => {
    const tenant = bed.tenant('limit');
    const made = [];
    for (let i = 0; i < 3; i++) made.push((await bed.subscribe(tenant, `https://93.184.216.34/${i}`)).webhook);
    await expect(bed.subscribe(tenant, 'https://93.184.216.34/3')).rejects.toMatchObject({
      code: 'WEBHOOK.LIMIT_REACHED',
    });
    const again = {
      webhookId: made[0].id,
      url: made[0].url,
      events: ['*'],
      sealedSecret: sealed(),
      createdBy: 'test-admin',
    };
    expect(resultOf<Webhook>(await bed.handlers.create.create(bed.request(tenant, again)))).toEqual(made[0]);
    // Deleting one makes room for one.
    await bed.handlers.remove.delete(bed.request(tenant, { webhookId: made[1].id }));
    await expect(bed.handlers.get.get(bed.request(tenant, { webhookId: made[1].id }))).rejects.toMatchObject({
      code: 'WEBHOOK.NOT_FOUND',
    });
    await expect(bed.subscribe(tenant, 'https://93.184.216.34/4')).resolves.toBeDefined();
    await expect(bed.subscribe(tenant, 'https://93.184.216.34/5')).rejects.toMatchObject({
      code: 'WEBHOOK.LIMIT_REACHED',
    });
  });

  it('lists subscriptions in id order by keyset pages', async () => {
    const tenant = bed.tenant('paging');
    const ids: string[] = [];
    for (let i = 0; i < 3; i++) ids.push((await bed.subscribe(tenant, `https://93.184.216.34/p${i}`)).webhook.id);
    const seen: string[] = [];
    let after: string | undefined;
    for (let pages = 0; pages < 5; pages++) {
      const page = resultOf<Page<Webhook>>(
        await bed.handlers.list.list(bed.request(tenant, { limit: 2, ...(after ? { after } : {}) })),
      );
      seen.push(...page.items.map((w) => w.id));
      if (!page.after) break;
      after = page.after;
    }
    expect(seen).toEqual([...ids].sort());
  });

  it('refuses to replay a pending delivery, and cancels pending deliveries with their subscription', async () => {
    const tenant = bed.tenant('replay');
    const { webhook } = await bed.subscribe(tenant, closedPort.url);
    const changed = resultOf<Webhook>(
      await bed.handlers.update.update(
        bed.request(tenant, { webhookId: webhook.id, events: ['geofence.*'], description: 'ops' }),
      ),
    );
    expect(changed).toMatchObject({ events: ['geofence.*'], description: 'ops', url: closedPort.url });
    await expect(
      bed.handlers.update.update(bed.request(tenant, { webhookId: webhook.id, url: 'https://10.1.2.3/' })),
    ).rejects.toMatchObject({ code: 'WEBHOOK.TARGET_FORBIDDEN' });
    await bed.publish(tenant, GEOFENCE, { assetId: 'r-1' }, 'r-1');
    const deliveries = async (state?: Delivery['state']): Promise<Delivery[]> =>
      resultOf<Page<Delivery>>(
        await bed.handlers.deliveries.list(
          bed.request(tenant, { webhookId: webhook.id, limit: 10, ...(state ? { state } : {}) }),
        ),
      ).items;
    // One refused attempt, then a retry two minutes away: pending.
    await eventually(async () => expect((await deliveries())[0]?.attempts).toHaveLength(1));
    const [pending] = await deliveries();
    expect(pending.state).toBe('pending');
    expect(pending.nextAttemptAt).not.toBeNull();
    expect(await deliveries('pending')).toHaveLength(1);
    expect(await deliveries('succeeded')).toHaveLength(0);
    await expect(
      bed.handlers.replay.replay(bed.request(tenant, { webhookId: webhook.id, deliveryId: pending.id })),
    ).rejects.toMatchObject({ code: 'WEBHOOK.DELIVERY_NOT_REPLAYABLE' });

    await bed.handlers.remove.delete(bed.request(tenant, { webhookId: webhook.id }));
    const { rows } = await bed.pool.query<{ state: string }>(`SELECT state FROM webhooks.deliveries WHERE id = $1`, [
      pending.id,
    ]);
    expect(rows).toEqual([{ state: 'cancelled' }]);
    await expect(bed.handlers.remove.delete(bed.request(tenant, { webhookId: webhook.id }))).rejects.toMatchObject({
      code: 'WEBHOOK.NOT_FOUND',
    });
  });

  it('refuses a sealed secret that does not open with the service key', async () => {
    const tenant = bed.tenant('sealed');
    const foreign = sealSecret(Buffer.alloc(32, 7), newSecret());
    await expect(
      bed.handlers.create.create(
        bed.request(tenant, {
          webhookId: randomUUID(),
          url: 'https://93.184.216.34/x',
          events: ['*'],
          sealedSecret: foreign,
          createdBy: 'test-admin',
        }),
      ),
    ).rejects.toMatchObject({ code: 'REQUEST.INVALID' });
  });
});
