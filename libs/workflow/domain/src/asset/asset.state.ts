import type { AssetKind, AssetStatus } from './asset.vocabulary';
import type { AssetEvent } from './asset.events';

export type AssetState =
  | { readonly status: 'none' }
  | {
      readonly status: AssetStatus;
      readonly assetId: string;
      readonly tenantId: string;
      readonly name: string;
      readonly kind: AssetKind;
    };

export const initialAssetState: AssetState = { status: 'none' };

export function evolveAsset(state: AssetState, event: AssetEvent): AssetState {
  switch (event.type) {
    case 'asset.registered.v1': {
      const { assetId, tenantId, name, kind } = event.data;
      return { status: 'registered', assetId, tenantId, name, kind };
    }
    case 'asset.status-changed.v1':
      return state.status === 'none' ? state : { ...state, status: event.data.to };
    default: {
      const unknownEvent: never = event;
      return unknownEvent;
    }
  }
}
