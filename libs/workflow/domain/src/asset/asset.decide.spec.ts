import { describe, expect, it } from '@jest/globals';
import { deciderSpec, fold } from '@meridian/shared/decider';
import type { PolicyDenial } from '@meridian/shared/policy';
import { type AccessDecision, SYSTEM_ACCESS } from '../access/access';
import { workflowUpcasters } from '../upcasters';
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
  type: 'asset.registered.v2',
  data: { assetId, tenantId, name: 'Drone 1', kind: 'drone', sensitivity: 0, team: null, registeredAt: now },
};
const statusChanged = (from: Status, to: Target): AssetEvent => ({
  type: 'asset.status-changed.v1',
  data: { assetId, from, to, changedAt: now },
});
const register: AssetCommand = {
  type: 'RegisterAsset',
  data: { assetId, tenantId, name: 'Drone 1', kind: 'drone', sensitivity: 0, team: null, now, access: SYSTEM_ACCESS },
};
const change = (to: Target, tenant = tenantId, access: AccessDecision = SYSTEM_ACCESS): AssetCommand => ({
  type: 'ChangeAssetStatus',
  data: { assetId, tenantId: tenant, to, now, access },
});
const denied = (code: PolicyDenial, detail: string): AccessDecision => ({
  allow: false,
  code,
  detail,
});

const asset = deciderSpec(assetDecider);
const available = [registered, statusChanged('registered', 'available')];
const assigned = [...available, statusChanged('available', 'assigned')];

describe('asset decider', () => {
  it('registers a new asset', () => {
    asset.given([]).when(register).then([registered]);
  });

  it('registers an asset with its sensitivity and team', () => {
    const command: AssetCommand = { ...register, data: { ...register.data, sensitivity: 3, team: 'red' } } as const;
    asset
      .given([])
      .when(command)
      .then([{ type: 'asset.registered.v2', data: { ...registered.data, sensitivity: 3, team: 'red' } }]);
  });

  it("refuses with the policy's code when the access decision denies, writing nothing", () => {
    const clearance = denied('AUTH.CLEARANCE', 'sensitivity 3 exceeds clearance 1');
    asset
      .given([])
      .when({ ...register, data: { ...register.data, sensitivity: 3, access: clearance } })
      .thenRejects('AUTH.CLEARANCE', 'sensitivity 3 exceeds clearance 1');
    asset
      .given([])
      .when({ ...register, data: { ...register.data, team: 'red', access: denied('AUTH.TEAM', 'team red') } })
      .thenRejects('AUTH.TEAM');
    // Access before existence: a principal who may not write such an asset learns nothing of this one.
    asset
      .given([registered])
      .when({ ...register, data: { ...register.data, access: denied('AUTH.FORBIDDEN_ROLE', 'viewer') } })
      .thenRejects('AUTH.FORBIDDEN_ROLE');
  });

  it('refuses a status change the access decision denies, but only for an asset the tenant has', () => {
    asset
      .given([registered])
      .when(change('available', tenantId, denied('AUTH.TEAM', 'team red')))
      .thenRejects('AUTH.TEAM', 'team red');
    // Another tenant's asset is not found, whatever the decision says: a 403 would tell it exists.
    asset
      .given([registered])
      .when(change('available', 'other-tenant', denied('AUTH.FORBIDDEN_TENANT', 'other')))
      .thenRejects(AssetRejections.notFound);
  });

  it('reads a v1 registration, upcast, as a public asset without a team', () => {
    const v1 = { assetId, tenantId, name: 'Old drone', kind: 'drone', registeredAt: now };
    const upcast = workflowUpcasters['asset.registered.v1@1'](v1);
    expect(upcast).toEqual({ schemaVersion: 2, data: { ...v1, sensitivity: 0, team: null } });
    const old = { type: 'asset.registered.v1', data: upcast.data } as AssetEvent;
    expect(fold(assetDecider, assetDecider.initialState, [old])).toEqual({
      status: 'registered',
      assetId,
      tenantId,
      name: 'Old drone',
      kind: 'drone',
      sensitivity: 0,
      team: null,
      reservations: [],
    });
    asset
      .given([old])
      .when(change('available'))
      .then([statusChanged('registered', 'available')]);
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

describe('asset reservations', () => {
  const missionA = 'a0000000-0000-4000-8000-00000000000a';
  const missionB = 'b0000000-0000-4000-8000-00000000000b';
  const reserve = (missionId: string, start: string, end: string, tenant = tenantId): AssetCommand => ({
    type: 'ReserveAsset',
    data: { assetId, tenantId: tenant, missionId, start, end, now },
  });
  const release = (missionId: string): AssetCommand => ({
    type: 'ReleaseAsset',
    data: { assetId, tenantId, missionId, now },
  });
  const reserved = (missionId: string, start: string, end: string): AssetEvent => ({
    type: 'asset.reserved.v1',
    data: { assetId, missionId, start, end, reservedAt: now },
  });
  const H = (h: number) => `2026-12-01T${String(h).padStart(2, '0')}:00:00.000Z`;

  it('reserves a window; the same mission again changes nothing', () => {
    asset
      .given(available)
      .when(reserve(missionA, H(10), H(12)))
      .then([reserved(missionA, H(10), H(12))]);
    asset
      .given([...available, reserved(missionA, H(10), H(12))])
      .when(reserve(missionA, H(10), H(12)))
      .then([]);
  });

  it('refuses an overlapping window of another mission, naming it; touching windows do not overlap', () => {
    const held = [...available, reserved(missionA, H(10), H(12))];
    asset
      .given(held)
      .when(reserve(missionB, H(11), H(13)))
      .thenRejects(AssetRejections.reservationConflict, missionA);
    asset
      .given(held)
      .when(reserve(missionB, H(9), H(10)))
      .then([reserved(missionB, H(9), H(10))]);
    asset
      .given(held)
      .when(reserve(missionB, H(12), H(14)))
      .then([reserved(missionB, H(12), H(14))]);
  });

  it('a released reservation frees the window; releasing what is not held changes nothing', () => {
    const held = [...available, reserved(missionA, H(10), H(12))];
    const released: AssetEvent = {
      type: 'asset.reservation-released.v1',
      data: { assetId, missionId: missionA, releasedAt: now },
    };
    asset.given(held).when(release(missionA)).then([released]);
    asset
      .given([...held, released])
      .when(reserve(missionB, H(11), H(13)))
      .then([reserved(missionB, H(11), H(13))]);
    asset.given(available).when(release(missionA)).then([]);
  });

  it('refuses a retired asset, and hides other tenants’ assets', () => {
    asset
      .given([registered, statusChanged('registered', 'retired')])
      .when(reserve(missionA, H(10), H(12)))
      .thenRejects(AssetRejections.retired);
    asset
      .given(available)
      .when(reserve(missionA, H(10), H(12), 'other'))
      .thenRejects(AssetRejections.notFound);
  });
});
