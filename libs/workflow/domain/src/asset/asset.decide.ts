import { accept, type Decider, type Decision, reject } from '@meridian/shared/decider';
import { refusedAccess } from '../access/access';
import { AssetRejections, type AssetStatus } from './asset.vocabulary';
import type { AssetCommand, ChangeAssetStatus, RegisterAsset, ReleaseAsset, ReserveAsset } from './asset.commands';
import type { AssetEvent } from './asset.events';
import { type AssetState, evolveAsset, initialAssetState } from './asset.state';

/** The lifecycle of DESIGN §4: registered → available ⇄ assigned ⇄ maintenance → retired. */
const allowed: Readonly<Record<AssetStatus, readonly AssetStatus[]>> = {
  registered: ['available', 'maintenance', 'retired'],
  available: ['assigned', 'maintenance', 'retired'],
  assigned: ['available', 'maintenance'],
  maintenance: ['available', 'assigned', 'retired'],
  retired: [],
};

export const canTransition = (from: AssetStatus, to: AssetStatus): boolean => allowed[from].includes(to);

/** The principal may not write such an asset at all: that comes before whether this one exists. */
function register(command: RegisterAsset, state: AssetState): Decision<AssetEvent> {
  const { assetId, tenantId, name, kind, sensitivity, team, now, access } = command.data;
  const refused = refusedAccess<AssetEvent>(access);
  if (refused) return refused;
  if (state.status !== 'none') {
    return reject(AssetRejections.alreadyRegistered, `asset ${assetId} is already registered`);
  }
  return accept({
    type: 'asset.registered.v2',
    data: { assetId, tenantId, name, kind, sensitivity, team, registeredAt: now },
  });
}

function changeStatus(command: ChangeAssetStatus, state: AssetState): Decision<AssetEvent> {
  const { assetId, tenantId, to, now, access } = command.data;
  // Another tenant's asset does not exist as far as this tenant can tell: not found before any
  // access refusal, which would tell it exists.
  if (state.status === 'none' || state.tenantId !== tenantId) {
    return reject(AssetRejections.notFound, `asset ${assetId} not found`);
  }
  const refused = refusedAccess<AssetEvent>(access);
  if (refused) return refused;
  if (state.status === to) return accept();
  if (state.status === 'retired') return reject(AssetRejections.retired, `asset ${assetId} is retired`);
  if (!canTransition(state.status, to)) {
    return reject(AssetRejections.invalidTransition, `asset ${assetId} cannot go from ${state.status} to ${to}`);
  }
  return accept({ type: 'asset.status-changed.v1', data: { assetId, from: state.status, to, changedAt: now } });
}

const overlaps = (a: { start: string; end: string }, b: { start: string; end: string }): boolean =>
  Date.parse(a.start) < Date.parse(b.end) && Date.parse(b.start) < Date.parse(a.end);

/** At most one mission holds the asset at any instant; reserving again for the same mission changes nothing. */
function reserve(command: ReserveAsset, state: AssetState): Decision<AssetEvent> {
  const { assetId, tenantId, missionId, start, end, now } = command.data;
  if (state.status === 'none' || state.tenantId !== tenantId) {
    return reject(AssetRejections.notFound, `asset ${assetId} not found`);
  }
  if (state.status === 'retired') return reject(AssetRejections.retired, `asset ${assetId} is retired`);
  if (state.reservations.some((r) => r.missionId === missionId)) return accept();
  const taken = state.reservations.find((r) => overlaps(r, { start, end }));
  if (taken) {
    const detail = `asset ${assetId} is reserved for mission ${taken.missionId} from ${taken.start} to ${taken.end}`;
    return reject(AssetRejections.reservationConflict, detail);
  }
  return accept({ type: 'asset.reserved.v1', data: { assetId, missionId, start, end, reservedAt: now } });
}

function release(command: ReleaseAsset, state: AssetState): Decision<AssetEvent> {
  const { assetId, tenantId, missionId, now } = command.data;
  if (state.status === 'none' || state.tenantId !== tenantId) {
    return reject(AssetRejections.notFound, `asset ${assetId} not found`);
  }
  if (!state.reservations.some((r) => r.missionId === missionId)) return accept();
  return accept({ type: 'asset.reservation-released.v1', data: { assetId, missionId, releasedAt: now } });
}

export function decideAsset(command: AssetCommand, state: AssetState): Decision<AssetEvent> {
  switch (command.type) {
    case 'RegisterAsset':
      return register(command, state);
    case 'ChangeAssetStatus':
      return changeStatus(command, state);
    case 'ReserveAsset':
      return reserve(command, state);
    case 'ReleaseAsset':
      return release(command, state);
    default: {
      const unknownCommand: never = command;
      return unknownCommand;
    }
  }
}

export const assetDecider: Decider<AssetCommand, AssetState, AssetEvent> = {
  initialState: initialAssetState,
  // 2: the state holds sensitivity and team (issue 9); 3: reservations (issue 10). Older snapshots are replayed.
  stateVersion: 3,
  decide: decideAsset,
  evolve: evolveAsset,
};

export const assetStreamId = (assetId: string): string => `asset-${assetId}`;
