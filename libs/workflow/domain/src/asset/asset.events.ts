import type { AssetKind, AssetStatus } from './asset.vocabulary';
import type { DomainEvent } from '@meridian/shared/decider';

export type AssetRegistered = DomainEvent<
  'asset.registered.v1',
  {
    readonly assetId: string;
    readonly tenantId: string;
    readonly name: string;
    readonly kind: AssetKind;
    readonly registeredAt: string;
  }
>;

export type AssetStatusChanged = DomainEvent<
  'asset.status-changed.v1',
  { readonly assetId: string; readonly from: AssetStatus; readonly to: AssetStatus; readonly changedAt: string }
>;

export type AssetEvent = AssetRegistered | AssetStatusChanged;
