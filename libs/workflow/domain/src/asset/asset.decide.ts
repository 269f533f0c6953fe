import { AssetRejections, type AssetStatus } from './asset.vocabulary';
import { accept, type Decider, type Decision, reject } from '@meridian/shared/decider';
import type { AssetCommand, ChangeAssetStatus, RegisterAsset } from './asset.commands';
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

function register(command: RegisterAsset, state: AssetState): Decision<AssetEvent> {
  if (state.status !== 'none') {
    return reject(AssetRejections.alreadyRegistered, `asset ${command.data.assetId} is already registered`);
  }
  const { assetId, tenantId, name, kind, now } = command.data;
  return accept({ type: 'asset.registered.v1', data: { assetId, tenantId, name, kind, registeredAt: now } });
}

function changeStatus(command: ChangeAssetStatus, state: AssetState): Decision<AssetEvent> {
  const { assetId, tenantId, to, now } = command.data;
  // Another tenant's asset does not exist as far as this tenant can tell.
  if (state.status === 'none' || state.tenantId !== tenantId) {
    return reject(AssetRejections.notFound, `asset ${assetId} not found`);
  }
  if (state.status === to) return accept();
  if (state.status === 'retired') return reject(AssetRejections.retired, `asset ${assetId} is retired`);
  if (!canTransition(state.status, to)) {
    return reject(AssetRejections.invalidTransition, `asset ${assetId} cannot go from ${state.status} to ${to}`);
  }
  return accept({ type: 'asset.status-changed.v1', data: { assetId, from: state.status, to, changedAt: now } });
}

export function decideAsset(command: AssetCommand, state: AssetState): Decision<AssetEvent> {
  switch (command.type) {
    case 'RegisterAsset':
      return register(command, state);
    case 'ChangeAssetStatus':
      return changeStatus(command, state);
    default: {
      const unknownCommand: never = command;
      return unknownCommand;
    }
  }
}

export const assetDecider: Decider<AssetCommand, AssetState, AssetEvent> = {
  initialState: initialAssetState,
  stateVersion: 1,
  decide: decideAsset,
  evolve: evolveAsset,
};

export const assetStreamId = (assetId: string): string => `asset-${assetId}`;
