import { randomUUID } from 'node:crypto';
import { describe, expect, it } from '@jest/globals';
import { type DataOf, type Envelope } from '@meridian/contracts/core';
import { AssetRegisteredV2, type RegisterAssetV2 } from '@meridian/contracts/assets';
import type { Principal, Region } from '@meridian/contracts/identity';
import { InMemoryEventStore } from '@meridian/shared/event-store';
import { assetDecider, assetStreamId, workflowUpcasters } from '@meridian/workflow/domain';
import { load } from '@meridian/shared/decider';
// Relative until @meridian/shared/testing exports it (libs/shared/testing/src/index.ts is the integrator's).
import { testPrincipal } from '@meridian/shared/testing';
import { toIntegrationEvent } from '../publish-asset-events/asset-integration-events';
import { registerAsset, registerAssetV1 } from './register-asset.handler';

type Request = Envelope<DataOf<typeof RegisterAssetV2>>;

const request = (assetId: string, overrides: Partial<Request> = {}): Request => ({
  id: randomUUID(),
  type: 'meridian.workflow.asset.register.v2',
  source: '/meridian/gateway',
  time: '2026-11-30T10:00:00.000Z',
  data: { assetId, name: 'Drone 7', kind: 'drone', sensitivity: 0, team: null },
  correlationId: 'corr-1',
  tenantId: 'acme',
  principal: testPrincipal('acme'),
  ...overrides,
});

/** A request for an asset with these access attributes, by a principal with these overrides. */
type Attributes = { sensitivity: number; team: string | null };
const attributed = (attributes: Attributes, principal: Partial<Principal>): Request => {
  const r = request(randomUUID(), { principal: testPrincipal('acme', principal) });
  return { ...r, data: { ...r.data, ...attributes } };
};

const now = new Date('2026-11-30T10:00:01.000Z');
const zurich: Region = {
  type: 'Polygon',
  coordinates: [
    [
      [8.4, 47.3],
      [8.7, 47.3],
      [8.7, 47.5],
      [8.4, 47.5],
      [8.4, 47.3],
    ],
  ],
};

describe('register-asset handler (in-memory event store)', () => {
  it('appends asset.registered.v2 with the tenant, access attributes and actor; answers with the version', async () => {
    const store = new InMemoryEventStore();
    const assetId = randomUUID();
    const r = request(assetId);
    const reply = await registerAsset(store, { ...r, data: { ...r.data, sensitivity: 2, team: 'red' } }, now);
    expect(reply.data).toEqual({ outcome: 'accepted', streamId: `asset-${assetId}`, version: 1 });
    const [event] = await store.readStream(`asset-${assetId}`);
    expect(event).toMatchObject({
      type: 'asset.registered.v2',
      data: {
        assetId,
        tenantId: 'acme',
        name: 'Drone 7',
        kind: 'drone',
        sensitivity: 2,
        team: 'red',
        registeredAt: now.toISOString(),
      },
      metadata: { tenantId: 'acme', correlationId: 'corr-1', actor: 'test-admin' },
    });
    const published = toIntegrationEvent(event);
    expect(published?.type).toBe(AssetRegisteredV2.type);
    expect(AssetRegisteredV2.schema.parse(published?.data)).toMatchObject({ sensitivity: 2, team: 'red', version: 1 });
  });

  it('takes a v1 command as a public asset of no team', async () => {
    const store = new InMemoryEventStore();
    const assetId = randomUUID();
    const v1 = { ...request(assetId), data: { assetId, name: 'Old gateway', kind: 'sensor' as const } };
    expect((await registerAssetV1(store, v1, now)).data).toMatchObject({ outcome: 'accepted', version: 1 });
    const [event] = await store.readStream(`asset-${assetId}`);
    expect(event).toMatchObject({ type: 'asset.registered.v2', data: { sensitivity: 0, team: null } });
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

  it("refuses a command without a principal header, or with another tenant's, writing nothing", async () => {
    const store = new InMemoryEventStore();
    const assetId = randomUUID();
    await expect(registerAsset(store, request(assetId, { principal: undefined }), now)).rejects.toMatchObject({
      code: 'AUTH.PRINCIPAL_UNKNOWN',
    });
    await expect(
      registerAsset(store, request(assetId, { principal: testPrincipal('other') }), now),
    ).rejects.toMatchObject({ code: 'AUTH.FORBIDDEN_TENANT' });
    expect(await store.readStream(`asset-${assetId}`)).toEqual([]);
  });

  describe('decides assets:write in process and refuses with its code (a coded rejection reply)', () => {
    const denials: [string, Attributes, Partial<Principal>][] = [
      ['AUTH.CLEARANCE', { sensitivity: 3, team: null }, { roles: ['operator'], clearance: 2 }],
      ['AUTH.TEAM', { sensitivity: 0, team: 'red' }, { roles: ['operator'], teams: ['blue'] }],
      ['AUTH.FORBIDDEN_ROLE', { sensitivity: 0, team: null }, { roles: ['viewer', 'dispatcher'] }],
      // 10:00:01 UTC is outside 00:00–01:00.
      ['AUTH.OUTSIDE_HOURS', { sensitivity: 0, team: null }, { hours: { fromMinute: 0, toMinute: 60 } }],
    ];
    it.each(denials)('%s', async (code, attributes, principal) => {
      const store = new InMemoryEventStore();
      const r = attributed(attributes, principal);
      const reply = await registerAsset(store, r, now);
      expect(reply.data).toMatchObject({ outcome: 'rejected', code });
      expect(await store.readStream(`asset-${r.data.assetId}`)).toEqual([]);
    });

    it('allows what the principal reaches: up to its clearance, its own team, any team-less asset', async () => {
      const store = new InMemoryEventStore();
      const operator: Partial<Principal> = { roles: ['operator'], clearance: 2, teams: ['blue'] };
      for (const attributes of [
        { sensitivity: 2, team: 'blue' },
        { sensitivity: 0, team: null },
      ]) {
        expect((await registerAsset(store, attributed(attributes, operator), now)).data).toMatchObject({
          outcome: 'accepted',
        });
      }
    });

    it("leaves the principal's region out: workflow does not know where assets are", async () => {
      const store = new InMemoryEventStore();
      const reply = await registerAsset(store, attributed({ sensitivity: 0, team: null }, { region: zurich }), now);
      expect(reply.data).toMatchObject({ outcome: 'accepted' });
    });
  });

  describe('assets registered before access attributes (stored asset.registered.v1)', () => {
    const stored = async (store: InMemoryEventStore, assetId: string) =>
      store.append(assetStreamId(assetId), 0, [
        {
          id: randomUUID(),
          type: 'asset.registered.v1',
          data: { assetId, tenantId: 'acme', name: 'Old', kind: 'drone', registeredAt: '2025-01-01T00:00:00.000Z' },
          metadata: { tenantId: 'acme' },
        },
      ]);

    it('load, through workflowUpcasters, as public assets of no team', async () => {
      const raw = new InMemoryEventStore();
      const assetId = randomUUID();
      await stored(raw, assetId);
      const store = raw.withUpcasters(workflowUpcasters);
      expect((await load(store, assetDecider, assetStreamId(assetId))).state).toMatchObject({
        status: 'registered',
        sensitivity: 0,
        team: null,
      });
      expect((await store.readStream(assetStreamId(assetId)))[0]).toMatchObject({ schemaVersion: 2 });
    });

    it('are published as asset.registered.v2, read with or without the upcasters', async () => {
      const raw = new InMemoryEventStore();
      const assetId = randomUUID();
      await stored(raw, assetId);
      for (const store of [raw, raw.withUpcasters(workflowUpcasters)]) {
        const [event] = await store.readStream(assetStreamId(assetId));
        const message = toIntegrationEvent(event);
        expect(message?.type).toBe(AssetRegisteredV2.type);
        expect(AssetRegisteredV2.schema.parse(message?.data)).toEqual({
          assetId,
          tenantId: 'acme',
          name: 'Old',
          kind: 'drone',
          status: 'registered',
          version: 1,
          registeredAt: '2025-01-01T00:00:00.000Z',
          sensitivity: 0,
          team: null,
        });
      }
    });
  });
});
