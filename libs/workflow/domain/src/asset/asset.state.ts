import type { AccessAttributes } from '../access/access';
import type { AssetKind, AssetStatus } from './asset.vocabulary';
import type { AssetEvent } from './asset.events';

export type AssetState =
  | { readonly status: 'none' }
  | (AccessAttributes & {
      readonly status: AssetStatus;
      readonly assetId: string;
      readonly tenantId: string;
      readonly name: string;
      readonly kind: AssetKind;
      /** Missions holding the asset for a window `[start, end)`; no two overlap. */
      readonly reservations: readonly AssetReservation[];
    });
export interface AssetReservation {
  readonly missionId: string;
  readonly start: string;
  readonly end: string;
}

export const initialAssetState: AssetState = { status: 'none' };

export function evolveAsset(state: AssetState, event: AssetEvent): AssetState {
  switch (event.type) {
    // One path: a v1 registration arrives upcast to v2's data (workflowUpcasters).
    case 'asset.registered.v1':
    case 'asset.registered.v2': {
      const { assetId, tenantId, name, kind, sensitivity, team } = event.data;
      return { status: 'registered', assetId, tenantId, name, kind, sensitivity, team, reservations: [] };
    }
    case 'asset.status-changed.v1':
      return state.status === 'none' ? state : { ...state, status: event.data.to };
    case 'asset.reserved.v1': {
      if (state.status === 'none') return state;
      const { missionId, start, end } = event.data;
      return { ...state, reservations: [...state.reservations, { missionId, start, end }] };
    }
    case 'asset.reservation-released.v1':
      if (state.status === 'none') return state;
      return { ...state, reservations: state.reservations.filter((r) => r.missionId !== event.data.missionId) };
    default: {
      const unknownEvent: never = event;
      return unknownEvent;
    }
  }
}
