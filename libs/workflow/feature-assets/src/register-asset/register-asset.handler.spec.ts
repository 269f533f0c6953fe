import { randomUUID } from 'node:crypto';
import { describe, expect, it } from '@jest/globals';
import { type DataOf, type Envelope } from '@meridian/contracts/core';
import type { RegisterAssetV1 } from '@meridian/contracts/assets';
import { InMemoryEventStore } from '@meridian/shared/event-store';
import { registerAsset } from './register-asset.handler';

type Request = Envelope<DataOf<typeof RegisterAssetV1>>;

const request = (assetId: string, overrides: Partial<Request> = {}): Request => ({
  id: randomUUID(),
  type: 'meridian.workflow.asset.register.v1',
  source: '/meridian/gateway',
  time: '2026-11-30T10:00:00.000Z',
  data: { assetId, name: 'Drone 7', kind: 'drone' },
  correlationId: 'corr-1',
  tenantId: 'acme',
  ...overrides,
});

const now = new Date('2026-11-30T10:00:01.000Z');

describe('register-asset handler (in-memory event store)', () => {
  it('appends asset.registered.v1 with the tenant and answers accepted with the stream version', async () => {
    const store = new InMemoryEventStore();
    const assetId = randomUUID();
    const reply = await registerAsset(store, request(assetId), now);
    expect(reply.data).toEqual({ outcome: 'accepted', streamId: `asset-${assetId}`, version: 1 });
    const [event] = await store.readStream(`asset-${assetId}`);
    expect(event).toMatchObject({
      type: 'asset.registered.v1',
      data: { assetId, tenantId: 'acme', name: 'Drone 7', kind: 'drone', registeredAt: now.toISOString() },
      metadata: { tenantId: 'acme', correlationId: 'corr-1' },
    });
  });

  it('answers a redelivered command as before and appends nothing twice', async () => {
    const store = new InMemoryEventStore();
    const first = request(randomUUID());
    await registerAsset(store, first, now);
    const again = await registerAsset(store, first, new Date('2026-11-30T11:00:00.000Z'));
    expect(again.data).toMatchObject({ outcome: 'accepted', version: 1 });
    expect(await store.readStream(`asset-${first.data.assetId}`)).toHaveLength(1);
  });

  it('rejects a second registration of the same asset with ASSET.ALREADY_REGISTERED', async () => {
    const store = new InMemoryEventStore();
    const assetId = randomUUID();
    await registerAsset(store, request(assetId), now);
    const reply = await registerAsset(store, request(assetId), now);
    expect(reply.data).toMatchObject({ outcome: 'rejected', code: 'ASSET.ALREADY_REGISTERED' });
  });

  it('refuses a command without a valid tenant-id header (TENANT.INVALID), writing nothing', async () => {
    const store = new InMemoryEventStore();
    const assetId = randomUUID();
    await expect(registerAsset(store, request(assetId, { tenantId: 'NOT A TENANT' }), now)).rejects.toMatchObject({
      code: 'TENANT.INVALID',
    });
    expect(await store.readStream(`asset-${assetId}`)).toEqual([]);
  });
});
