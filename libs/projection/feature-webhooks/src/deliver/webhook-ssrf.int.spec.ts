import { randomUUID } from 'node:crypto';
import { afterAll, beforeAll, describe, expect, it } from '@jest/globals';
import type { Delivery } from '@meridian/contracts/webhooks';
import { eventually } from '@meridian/shared/testing';
import { sealSecret } from '@meridian/shared/util';
import { newSecret, type Page, Receiver, resultOf, testSecretsKey, WebhooksBed } from '../webhooks.test-bed';
import type { LookupAll } from './target-guard';

/*
 * The SSRF guard with development mode off (WEBHOOKS_ALLOW_LOOPBACK=false): private, loopback,
 * link-local and credential-bearing URLs are refused when subscribing, and a subscription whose
 * target became forbidden (it was made in development mode; the service restarted without it) makes
 * no connection at all: every attempt fails before connecting, and the delivery ends dead. Name
 * lookups are bounded, refusals never reveal what a name resolves to, and the connection goes to
 * the address the guard checked (a resolver of the test's own stands in for DNS).
 */

const GEOFENCE = 'meridian.projection.geofence.entered.v1';

let bed: WebhooksBed;
let endpoint: Receiver;

/** The test's DNS: the names it knows; `hang.example.com` never answers. */
const names = new Map<string, string[]>();
const lookup: LookupAll = (host) => {
  if (host === 'hang.example.com') return new Promise(() => undefined);
  const found = names.get(host);
  if (!found) return Promise.reject(Object.assign(new Error(`getaddrinfo ENOTFOUND ${host}`), { code: 'ENOTFOUND' }));
  return Promise.resolve(found.map((address) => ({ address, family: address.includes(':') ? 6 : 4 })));
};

const deliveriesOf = async (tenant: string, webhookId: string): Promise<Delivery[]> =>
  resultOf<Page<Delivery>>(await bed.handlers.deliveries.list(bed.request(tenant, { webhookId, limit: 10 }))).items;

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

  it('bounds name lookups: a name that never answers is accepted promptly and fails within the deadline', async () => {
    await bed.start({ allowLoopback: false, lookup, timeoutMs: 1000, retryScheduleMs: [100] });
    const tenant = bed.tenant('dns-hang');
    const started = Date.now();
    const { webhook } = await bed.subscribe(tenant, 'https://hang.example.com/hooks');
    expect(Date.now() - started).toBeLessThan(3000);
    await bed.publish(tenant, GEOFENCE, { assetId: 'hang-1' }, 'hang-1');

    await eventually(async () => expect((await deliveriesOf(tenant, webhook.id))[0]?.state).toBe('dead'));
    const [delivery] = await deliveriesOf(tenant, webhook.id);
    expect(delivery.attempts).toHaveLength(2);
    for (const a of delivery.attempts) {
      expect(a.responseStatus).toBeNull();
      expect(a.error).toBe('target refused: hang.example.com does not resolve (timed out after 1000 ms)');
      expect(a.durationMs).toBeGreaterThanOrEqual(990);
      expect(a.durationMs).toBeLessThan(1500);
    }
    await bed.stop();
  });

  it('names the refused host to the caller and in the attempts log, never the address it resolves to', async () => {
    await bed.start({ allowLoopback: false, lookup, retryScheduleMs: [100] });
    const tenant = bed.tenant('dns-private');
    names.set('internal.example.com', ['10.1.2.3']);
    const refused = bed.handlers.create.create(
      bed.request(tenant, {
        webhookId: randomUUID(),
        url: 'https://internal.example.com/hooks',
        events: ['*'],
        sealedSecret: sealSecret(testSecretsKey, newSecret()),
        createdBy: 'test-admin',
      }),
    );
    await expect(refused).rejects.toMatchObject({
      code: 'WEBHOOK.TARGET_FORBIDDEN',
      message: 'https://internal.example.com/hooks: internal.example.com resolves to a non-public address',
    });
    // Public when subscribed, private when attempted.
    names.set('moved.example.com', ['93.184.216.34']);
    const { webhook } = await bed.subscribe(tenant, 'https://moved.example.com/hooks');
    names.set('moved.example.com', ['10.9.8.7']);
    await bed.publish(tenant, GEOFENCE, { assetId: 'moved-1' }, 'moved-1');
    await eventually(async () => expect((await deliveriesOf(tenant, webhook.id))[0]?.state).toBe('dead'));
    const [delivery] = await deliveriesOf(tenant, webhook.id);
    expect(delivery.attempts.map((a) => a.error)).toEqual([
      'target refused: moved.example.com resolves to a non-public address',
      'target refused: moved.example.com resolves to a non-public address',
    ]);
    await bed.stop();
  });

  it('connects to the address the guard checked, with the URL name as Host (no second lookup)', async () => {
    const pinned = await Receiver.start();
    try {
      // `.invalid` never resolves in DNS (RFC 6761): only the address the guard checked can reach the receiver.
      names.set('pinned.example.invalid', ['127.0.0.1']);
      await bed.start({ allowLoopback: true, lookup });
      const tenant = bed.tenant('pinned');
      const { webhook } = await bed.subscribe(tenant, `http://pinned.example.invalid:${pinned.port}/hooks/in`);
      await bed.publish(tenant, GEOFENCE, { assetId: 'pin-1' }, 'pin-1');

      await eventually(async () => expect((await deliveriesOf(tenant, webhook.id))[0]?.state).toBe('succeeded'));
      expect(pinned.requests).toHaveLength(1);
      expect(pinned.requests[0].headers['host']).toBe(`pinned.example.invalid:${pinned.port}`);
      expect(pinned.requests[0].path).toBe('/hooks/in');
      await bed.stop();
    } finally {
      await pinned.stop();
    }
  });
});
