import { randomUUID } from 'node:crypto';
import { afterAll, beforeAll, describe, expect, it } from '@jest/globals';
import type { Delivery } from '@meridian/contracts/webhooks';
import { eventually } from '@meridian/shared/testing';
import { sealSecret } from '@meridian/shared/util';
import { newSecret, type Page, Receiver, resultOf, testSecretsKey, WebhooksBed } from '../webhooks.test-bed';

/*
 * The SSRF guard with development mode off (WEBHOOKS_ALLOW_LOOPBACK=false): private, loopback,
 * link-local and credential-bearing URLs are refused when subscribing, and a subscription whose
 * target became forbidden (it was made in development mode; the service restarted without it) makes
 * no connection at all: every attempt fails before connecting, and the delivery ends dead.
 */

const GEOFENCE = 'meridian.projection.geofence.entered.v1';

let bed: WebhooksBed;
let endpoint: Receiver;

beforeAll(async () => {
  bed = await WebhooksBed.create('ssrf');
  endpoint = await Receiver.start();
});

afterAll(async () => {
  await bed?.close();
  await endpoint?.stop();
});

describe('the SSRF guard', () => {
  it('refuses private, loopback, link-local and credential-bearing URLs when subscribing', async () => {
    await bed.start({ allowLoopback: false });
    const tenant = bed.tenant('refused');
    const create = (url: string) =>
      bed.handlers.create.create(
        bed.request(tenant, {
          webhookId: randomUUID(),
          url,
          events: ['*'],
          sealedSecret: sealSecret(testSecretsKey, newSecret()),
          createdBy: 'test-admin',
        }),
      );
    const cases: [string, string][] = [
      [endpoint.url, 'WEBHOOK.URL_INVALID'],
      ['https://10.0.0.1/', 'WEBHOOK.TARGET_FORBIDDEN'],
      ['https://169.254.169.254/', 'WEBHOOK.TARGET_FORBIDDEN'],
      ['https://[::1]/', 'WEBHOOK.TARGET_FORBIDDEN'],
      ['https://127.0.0.1/', 'WEBHOOK.TARGET_FORBIDDEN'],
      ['https://[::ffff:192.168.1.1]/', 'WEBHOOK.TARGET_FORBIDDEN'],
      ['https://user:pw@example.com/', 'WEBHOOK.URL_INVALID'],
    ];
    for (const [url, code] of cases) await expect(create(url)).rejects.toMatchObject({ code });
    const { rows } = await bed.pool.query(`SELECT 1 FROM webhooks.subscriptions WHERE tenant_id = $1`, [tenant]);
    expect(rows).toHaveLength(0);
    // A public https target is accepted (its address is checked again at every attempt).
    await expect(create('https://93.184.216.34/hooks')).resolves.toBeDefined();
    await bed.stop();
  });

  it('makes no connection to a target that became forbidden: every attempt is refused, then dead', async () => {
    const tenant = bed.tenant('flipped');
    // Made in development mode, where loopback is allowed…
    await bed.start({ allowLoopback: true });
    const { webhook } = await bed.subscribe(tenant, endpoint.url);
    await bed.stop();
    // …and the service restarted without it.
    await bed.start({ allowLoopback: false, retryScheduleMs: [100] });
    await bed.publish(tenant, GEOFENCE, { assetId: 'ssrf-1' }, 'ssrf-1');

    const deliveries = async (): Promise<Delivery[]> =>
      resultOf<Page<Delivery>>(
        await bed.handlers.deliveries.list(bed.request(tenant, { webhookId: webhook.id, limit: 10 })),
      ).items;
    await eventually(async () => expect((await deliveries())[0]?.state).toBe('dead'));
    const [delivery] = await deliveries();
    expect(delivery.attempts).toHaveLength(2);
    for (const a of delivery.attempts) {
      expect(a.responseStatus).toBeNull();
      expect(a.error).toMatch(/target refused: .*(http|loopback)/);
    }
    expect(bed.runtime.counters.refused).toBeGreaterThanOrEqual(2);
    expect(endpoint.connections).toBe(0);
    expect(endpoint.requests).toHaveLength(0);
    await bed.stop();
  });
});
