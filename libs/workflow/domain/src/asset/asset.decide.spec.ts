import { describe, it } from '@jest/globals';
import { deciderSpec } from '@meridian/shared/decider';
import type { AssetCommand } from './asset.commands';
import { assetDecider } from './asset.decide';
import type { AssetEvent } from './asset.events';
import { AssetRejections } from './asset.vocabulary';

const assetId = '0b0a3f0e-8c38-4f9b-9f5e-1d7a1c0de001';
const tenantId = 'acme';
const now = '2026-11-28T10:00:00.000Z';

type Status = 'registered' | 'available' | 'assigned' | 'maintenance';
type Target = 'available' | 'assigned' | 'maintenance' | 'retired';

const registered: AssetEvent = {
  type: 'asset.registered.v1',
  data: { assetId, tenantId, name: 'Drone 1', kind: 'drone', registeredAt: now },
};
const statusChanged = (from: Status, to: Target): AssetEvent => ({
  type: 'asset.status-changed.v1',
  data: { assetId, from, to, changedAt: now },
});
const register: AssetCommand = {
  type: 'RegisterAsset',
  data: { assetId, tenantId, name: 'Drone 1', kind: 'drone', now },
};
const change = (to: Target, tenant = tenantId): AssetCommand => ({
  type: 'ChangeAssetStatus',
  data: { assetId, tenantId: tenant, to, now },
});

const asset = deciderSpec(assetDecider);
const available = [registered, statusChanged('registered', 'available')];
const assigned = [...available, statusChanged('available', 'assigned')];

describe('asset decider', () => {
  it('registers a new asset', () => {
    asset.given([]).when(register).then([registered]);
  });

  it('refuses to register the same asset twice', () => {
    asset.given([registered]).when(register).thenRejects(AssetRejections.alreadyRegistered);
  });

  it('moves a registered asset to available', () => {
    asset
      .given([registered])
      .when(change('available'))
      .then([statusChanged('registered', 'available')]);
  });

  it('goes available → assigned → maintenance → retired', () => {
    asset
      .given(available)
      .when(change('assigned'))
      .then([statusChanged('available', 'assigned')]);
    asset
      .given(assigned)
      .when(change('maintenance'))
      .then([statusChanged('assigned', 'maintenance')]);
    asset
      .given([registered, statusChanged('registered', 'maintenance')])
      .when(change('retired'))
      .then([statusChanged('maintenance', 'retired')]);
  });

  it('refuses a transition the lifecycle does not allow', () => {
    asset.given([registered]).when(change('assigned')).thenRejects(AssetRejections.invalidTransition);
    asset
      .given(assigned)
      .when(change('retired'))
      .thenRejects(AssetRejections.invalidTransition, /from assigned to retired/);
  });

  it('refuses any change to a retired asset', () => {
    asset
      .given([registered, statusChanged('registered', 'retired')])
      .when(change('available'))
      .thenRejects(AssetRejections.retired);
  });

  it('treats a change to the current status as a no-op', () => {
    asset.given(available).when(change('available')).then([]);
  });

  it('hides assets of other tenants and unknown assets', () => {
    asset.given([]).when(change('available')).thenRejects(AssetRejections.notFound);
    asset.given([registered]).when(change('available', 'other-tenant')).thenRejects(AssetRejections.notFound);
  });
});
