import { afterAll, beforeAll, describe, expect, it } from '@jest/globals';
import { dlqTopic } from '@meridian/contracts/core';
import type { Delivery, Webhook } from '@meridian/contracts/webhooks';
import { consumeAll, eventually } from '@meridian/shared/testing';
import { sealSecret } from '@meridian/shared/util';
import { newSecret, type Page, Receiver, resultOf, testSecretsKey, WebhooksBed } from '../webhooks.test-bed';
import { verify } from './signature';

/*
 * Deliveries end to end: events published on Kafka, recorded by the fan-out, sent by the BullMQ
 * dispatcher to real HTTP receivers on 127.0.0.1 (development mode: loopback allowed), with a
 * short retry schedule (300 ms, 300 ms: 3 attempts) and a 1 s attempt timeout.
 */

const GEOFENCE = 'meridian.projection.geofence.entered.v1';
const ASSET = 'meridian.workflow.asset.registered.v1';

let bed: WebhooksBed;
const receivers: Receiver[] = [];

const receiver = async (port = 0): Promise<Receiver> => {
  const r = await Receiver.start(port);
  receivers.push(r);
  return r;
};

beforeAll(async () => {
  bed = await WebhooksBed.create('delivery');
  await bed.start({ endpointConcurrency: 2, concurrency: 8 });
});

afterAll(async () => {
  await bed?.close();
  for (const r of receivers) await r.stop();
});

const deliveriesOf = async (tenantId: string, webhookId: string): Promise<Delivery[]> =>
  resultOf<Page<Delivery>>(await bed.handlers.deliveries.list(bed.request(tenantId, { webhookId, limit: 100 }))).items;

describe('webhook deliveries', () => {
  it('delivers a signed Standard Webhooks request, with both signatures during a secret rotation', async () => {
    const tenant = bed.tenant('signed');
    const endpoint = await receiver();
    const { webhook, secret } = await bed.subscribe(tenant, endpoint.url, ['geofence.*']);
    const data = { assetId: 'a-1', zoneId: 'z-1', at: '2026-12-01T10:00:00.000Z' };
    const eventId = await bed.publish(tenant, GEOFENCE, data, 'a-1');
    await bed.publish(tenant, ASSET, { assetId: 'a-1' }, 'a-1'); // not subscribed: never sent

    await eventually(() => expect(endpoint.requests).toHaveLength(1));
    const [request] = endpoint.requests;
    const [delivery] = await deliveriesOf(tenant, webhook.id);
    expect(delivery).toMatchObject({ eventId, eventType: 'geofence.entered' });
    expect(request.id).toBe(delivery.id);
    expect(request.id).toMatch(/^msg_[0-9a-f]{32}$/);
    expect(request.path).toBe('/hooks/in');
    expect(request.headers['content-type']).toBe('application/json');
    expect(request.headers['user-agent']).toBe('Meridian-Webhooks/1');
    expect(Math.abs(Number(request.timestamp) - Date.now() / 1000)).toBeLessThan(120);
    const body = JSON.parse(request.body) as { type: string; timestamp: string; data: unknown };
    expect(body).toEqual({ type: 'geofence.entered', timestamp: expect.any(String), data });
    expect(Number.isNaN(Date.parse(body.timestamp))).toBe(false);
    const signed = {
      'webhook-id': request.id,
      'webhook-timestamp': request.timestamp,
      'webhook-signature': request.signature,
    };
    expect(request.signature.split(' ')).toHaveLength(1);
    expect(verify(secret, signed, request.body)).toBe(true);
    expect(verify(newSecret(), signed, request.body)).toBe(false);
    await eventually(async () => expect((await deliveriesOf(tenant, webhook.id))[0].state).toBe('succeeded'));

    const rotated = newSecret();
    const reply = await bed.handlers.rotate.rotate(
      bed.request(tenant, { webhookId: webhook.id, sealedSecret: sealSecret(testSecretsKey, rotated) }),
    );
    expect(resultOf<Webhook>(reply).secretRotatedAt).not.toBeNull();
    await bed.publish(tenant, GEOFENCE, { ...data, zoneId: 'z-2' }, 'a-1');
    await eventually(() => expect(endpoint.requests).toHaveLength(2));
    const second = endpoint.requests[1];
    const signedTwice = {
      'webhook-id': second.id,
      'webhook-timestamp': second.timestamp,
      'webhook-signature': second.signature,
    };
    expect(second.signature.split(' ')).toHaveLength(2);
    expect(verify(rotated, signedTwice, second.body)).toBe(true);
    expect(verify(secret, signedTwice, second.body)).toBe(true);
    // The first signature is the new secret's.
    expect(verify(rotated, { ...signedTwice, 'webhook-signature': second.signature.split(' ')[0] }, second.body)).toBe(
      true,
    );
    expect(endpoint.requests.map((r) => (JSON.parse(r.body) as { type: string }).type)).toEqual([
      'geofence.entered',
      'geofence.entered',
    ]);
  });

  it('retries a failing receiver with the same webhook-id until it answers 2xx, once', async () => {
    const tenant = bed.tenant('retry');
    const endpoint = await receiver();
    endpoint.behave = (_request, nth) => (nth === 1 ? 'fail' : nth === 2 ? 'reset' : 'ok');
    const { webhook } = await bed.subscribe(tenant, endpoint.url);
    await bed.publish(tenant, GEOFENCE, { assetId: 'a-2' }, 'a-2');

    await eventually(async () => expect((await deliveriesOf(tenant, webhook.id))[0]?.state).toBe('succeeded'));
    const [delivery] = await deliveriesOf(tenant, webhook.id);
    expect(endpoint.requests.map((r) => r.id)).toEqual([delivery.id, delivery.id, delivery.id]);
    expect(endpoint.answered(delivery.id)).toHaveLength(1);
    expect(delivery.attempts.map((a) => [a.attempt, a.responseStatus])).toEqual([
      [1, 500],
      [2, null],
      [3, 200],
    ]);
    expect(delivery.attempts[0].error).toMatch(/500/);
    expect(delivery.attempts[1].error).toMatch(/ECONNRESET|socket hang up/);
    expect(delivery.attempts[2].error).toBeNull();
    for (const a of delivery.attempts) expect(a.durationMs).toBeGreaterThanOrEqual(0);
    expect(delivery.nextAttemptAt).toBeNull();
    expect(delivery.finishedAt).not.toBeNull();
  });

  it('ends a delivery to a dead receiver dead while another subscription is served, and replays it', async () => {
    const tenant = bed.tenant('dead');
    const dead = await receiver();
    await dead.stop(); // the port refuses connections
    const healthy = await receiver();
    const { webhook: toDead } = await bed.subscribe(tenant, dead.url);
    const { webhook: toHealthy } = await bed.subscribe(tenant, healthy.url);
    await bed.publish(tenant, GEOFENCE, { assetId: 'a-3' }, 'a-3');

    await eventually(async () => expect((await deliveriesOf(tenant, toDead.id))[0]?.state).toBe('dead'));
    const [deadOne] = await deliveriesOf(tenant, toDead.id);
    expect(deadOne.attempts).toHaveLength(3);
    for (const a of deadOne.attempts) {
      expect(a.responseStatus).toBeNull();
      expect(a.error).toMatch(/ECONNREFUSED/);
    }
    await eventually(async () => expect((await deliveriesOf(tenant, toHealthy.id))[0]?.state).toBe('succeeded'));
    expect(healthy.requests).toHaveLength(1);
    expect(dead.connections).toBe(0);

    // The receiver is back; replaying the dead delivery sends it with the same id.
    await dead.listen();
    const replayed = resultOf<Delivery>(
      await bed.handlers.replay.replay(bed.request(tenant, { webhookId: toDead.id, deliveryId: deadOne.id })),
    );
    expect(replayed).toMatchObject({ id: deadOne.id, state: 'pending' });
    await eventually(async () => expect((await deliveriesOf(tenant, toDead.id))[0]?.state).toBe('succeeded'));
    const [after] = await deliveriesOf(tenant, toDead.id);
    expect(after.id).toBe(deadOne.id);
    expect(after.attempts.map((a) => a.attempt)).toEqual([1, 2, 3, 4]);
    expect(after.attempts[3].responseStatus).toBe(200);
    expect(dead.requests.map((r) => r.id)).toEqual([deadOne.id]);
  });

  it('keeps serving other endpoints while one hangs: it holds at most its endpoint slots', async () => {
    const tenant = bed.tenant('slow');
    const hanging = await receiver();
    hanging.behave = () => 'hang';
    const fast = await receiver();
    const { webhook: toHanging } = await bed.subscribe(tenant, hanging.url);
    const { webhook: toFast } = await bed.subscribe(tenant, fast.url);
    // Ten events of ten keys: the hanging endpoint has ten deliveries it could try at once.
    for (let i = 0; i < 10; i++) await bed.publish(tenant, GEOFENCE, { assetId: `slow-${i}` }, `slow-${i}`);

    await eventually(async () => {
      const rows = await bed.deliveryRows(toFast.id);
      expect(rows.filter((r) => r.state === 'succeeded')).toHaveLength(10);
    });
    // Every fast delivery is done while the hanging endpoint still has deliveries waiting, and it
    // never had more requests open than its two endpoint slots.
    const hangingRows = await bed.deliveryRows(toHanging.id);
    expect(hangingRows.filter((r) => r.state === 'pending').length).toBeGreaterThan(0);
    expect(fast.requests).toHaveLength(10);
    await eventually(() => expect(hanging.requests.length).toBeGreaterThanOrEqual(4));
    expect(hanging.maxOpen).toBeLessThanOrEqual(2);
    expect(hanging.maxOpen).toBeGreaterThan(0);
    await bed.handlers.remove.delete(bed.request(tenant, { webhookId: toHanging.id }));
  });

  it('records nothing for a paused subscription, and delivers new events once it is resumed', async () => {
    const tenant = bed.tenant('paused');
    const paused = await receiver();
    const witness = await receiver();
    const { webhook } = await bed.subscribe(tenant, paused.url);
    const { webhook: other } = await bed.subscribe(tenant, witness.url);
    const reply = await bed.handlers.update.update(bed.request(tenant, { webhookId: webhook.id, paused: true }));
    expect(resultOf<Webhook>(reply).paused).toBe(true);
    const whilePaused = await bed.publish(tenant, GEOFENCE, { assetId: 'p-1' }, 'p-1');
    // Same topic, one partition: once the witness has this later event, the paused one was consumed.
    const marker = await bed.publish(tenant, GEOFENCE, { assetId: 'p-2' }, 'p-2');
    await eventually(async () =>
      expect((await bed.deliveryRows(other.id)).map((r) => r.event_id)).toEqual([whilePaused, marker]),
    );
    expect(await bed.deliveryRows(webhook.id)).toEqual([]);

    await bed.handlers.update.update(bed.request(tenant, { webhookId: webhook.id, paused: false }));
    const afterResume = await bed.publish(tenant, GEOFENCE, { assetId: 'p-3' }, 'p-3');
    await eventually(() => expect(paused.requests).toHaveLength(1));
    expect((await bed.deliveryRows(webhook.id)).map((r) => r.event_id)).toEqual([afterResume]);
    expect(JSON.parse(paused.requests[0].body)).toMatchObject({ data: { assetId: 'p-3' } });
  });

  it('delivers events of one key in order: the second waits while the first is retried', async () => {
    const tenant = bed.tenant('order');
    const endpoint = await receiver();
    let first: string | null = null;
    endpoint.behave = (request, nth) => {
      first ??= request.id;
      return request.id === first && nth === 1 ? 'fail' : 'ok';
    };
    await bed.subscribe(tenant, endpoint.url);
    const one = await bed.publish(tenant, GEOFENCE, { assetId: 'same', n: 1 }, 'same');
    const two = await bed.publish(tenant, GEOFENCE, { assetId: 'same', n: 2 }, 'same');

    await eventually(() => expect(endpoint.requests.filter((r) => r.status === 200)).toHaveLength(2));
    const order = endpoint.requests.map((r) => [(JSON.parse(r.body) as { data: { n: number } }).data.n, r.status]);
    expect(order).toEqual([
      [1, 500],
      [1, 200],
      [2, 200],
    ]);
    expect([one, two]).toHaveLength(2);
  });

  it('passes over a malformed record (dead-lettered) and delivers the next good event', async () => {
    const tenant = bed.tenant('poison');
    const endpoint = await receiver();
    await bed.subscribe(tenant, endpoint.url);
    await bed.publishRaw({ key: 'bad', value: Buffer.from('{not json'), headers: { 'content-type': 'text/plain' } });
    await bed.publish(undefined, GEOFENCE, { assetId: 'no-tenant' }, 'x'); // no tenant: skipped
    await bed.publish(tenant, GEOFENCE, { assetId: 'good' }, 'good');

    await eventually(() => expect(endpoint.requests).toHaveLength(1));
    expect(JSON.parse(endpoint.requests[0].body)).toMatchObject({ data: { assetId: 'good' } });
    const letters = await consumeAll(bed.bus, dlqTopic(bed.topic), 1);
    expect(letters.map((l) => l.wire.value.toString())).toEqual(['{not json']);
  });
});
