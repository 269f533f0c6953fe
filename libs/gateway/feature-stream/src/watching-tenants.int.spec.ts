import { randomBytes } from 'node:crypto';
import Redis from 'ioredis';
import { afterAll, describe, expect, it } from '@jest/globals';
import { silentLog } from '@meridian/shared/util';
import { WATCHING_KEY, WatchingTenants } from './watching-tenants';

const redis = new Redis(process.env['TEST_REDIS_URL'] ?? 'redis://127.0.0.1:6379');
const tenant = `w-${randomBytes(5).toString('hex')}`;

afterAll(async () => {
  await redis.zrem(WATCHING_KEY, tenant);
  redis.disconnect();
});

describe('WatchingTenants (real Redis)', () => {
  it('a marked tenant is watched for the ttl, then not; the first mark says it is new', async () => {
    const watching = new WatchingTenants(redis, { ttlMs: 60_000, pollMs: 250, log: silentLog });
    const now = Date.now();
    await watching.refresh(now);
    expect(watching.has(tenant)).toBe(false);
    expect(await watching.mark(tenant, now)).toBe(true);
    expect(await watching.mark(tenant, now + 1000)).toBe(false);
    await watching.refresh(now + 2000);
    expect(watching.has(tenant)).toBe(true);
    await watching.refresh(now + 62_000);
    expect(watching.has(tenant)).toBe(false);
    // Watched again after its mark lapsed: new again (its first client waits for the relays).
    expect(await watching.mark(tenant, now + 62_000)).toBe(true);
  });

  it('relays everyone while Redis cannot say who is watched', async () => {
    const away = new Redis('redis://127.0.0.1:1', {
      lazyConnect: true,
      maxRetriesPerRequest: 0,
      enableOfflineQueue: false,
    });
    const watching = new WatchingTenants(away, { ttlMs: 60_000, pollMs: 250, log: silentLog });
    await watching.refresh();
    expect(watching.has('anyone')).toBe(true);
    away.disconnect();
  });
});
