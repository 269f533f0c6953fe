import { describe, expect, it } from 'vitest';
import { ErrorCodes } from '@meridian/contracts';
import { fold } from '@meridian/shared/decider';
import type { AssetCommand } from './asset.commands';
import { assetDecider } from './asset.decide';
import type { AssetEvent } from './asset.events';

const assetId = '0b0a3f0e-8c38-4f9b-9f5e-1d7a1c0de001';
const tenantId = 'acme';
const now = '2026-11-28T10:00:00.000Z';

/** given events / when command / then events or error */
const given = (events: AssetEvent[]) => ({
  when: (command: AssetCommand) => assetDecider.decide(command, fold(assetDecider, assetDecider.initialState, events)),
});

const registered: AssetEvent = {
  type: 'asset.registered.v1',
  data: { assetId, tenantId, name: 'Drone 1', kind: 'drone', registeredAt: now },
};
const statusChanged = (from: 'registered' | 'available' | 'assigned' | 'maintenance', to: 'available' | 'assigned' | 'maintenance' | 'retired'): AssetEvent => ({
  type: 'asset.status-changed.v1',
  data: { assetId, from, to, changedAt: now },
});
const register: AssetCommand = { type: 'RegisterAsset', data: { assetId, tenantId, name: 'Drone 1', kind: 'drone', now } };
const change = (to: 'available' | 'assigned' | 'maintenance' | 'retired', tenant = tenantId): AssetCommand => ({
  type: 'ChangeAssetStatus',
  data: { assetId, tenantId: tenant, to, now },
});

describe('asset decider', () => {
  it('registers a new asset', () => {
    expect(given([]).when(register)).toEqual({ ok: true, events: [registered] });
  });

  it('refuses to register the same asset twice', () => {
    expect(given([registered]).when(register)).toMatchObject({ ok: false, code: ErrorCodes.assetAlreadyRegistered });
  });

  it('moves a registered asset to available', () => {
    expect(given([registered]).when(change('available'))).toEqual({ ok: true, events: [statusChanged('registered', 'available')] });
  });

  it('goes available → assigned → maintenance → retired', () => {
    expect(given([registered, statusChanged('registered', 'available')]).when(change('assigned'))).toEqual({
      ok: true,
      events: [statusChanged('available', 'assigned')],
    });
    expect(given([registered, statusChanged('registered', 'available'), statusChanged('available', 'assigned')]).when(change('maintenance'))).toEqual({
      ok: true,
      events: [statusChanged('assigned', 'maintenance')],
    });
    expect(given([registered, statusChanged('registered', 'maintenance')]).when(change('retired'))).toEqual({
      ok: true,
      events: [statusChanged('maintenance', 'retired')],
    });
  });

  it('refuses a transition the lifecycle does not allow', () => {
    expect(given([registered]).when(change('assigned'))).toMatchObject({ ok: false, code: ErrorCodes.assetInvalidTransition });
    expect(given([registered, statusChanged('registered', 'available'), statusChanged('available', 'assigned')]).when(change('retired'))).toMatchObject({
      ok: false,
      code: ErrorCodes.assetInvalidTransition,
    });
  });

  it('refuses any change to a retired asset', () => {
    expect(given([registered, statusChanged('registered', 'retired')]).when(change('available'))).toMatchObject({
      ok: false,
      code: ErrorCodes.assetRetired,
    });
  });

  it('treats a change to the current status as a no-op', () => {
    expect(given([registered, statusChanged('registered', 'available')]).when(change('available'))).toEqual({ ok: true, events: [] });
  });

  it('hides assets of other tenants and unknown assets', () => {
    expect(given([]).when(change('available'))).toMatchObject({ ok: false, code: ErrorCodes.assetNotFound });
    expect(given([registered]).when(change('available', 'other-tenant'))).toMatchObject({ ok: false, code: ErrorCodes.assetNotFound });
  });
});
