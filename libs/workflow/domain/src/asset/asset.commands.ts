import type { AssetKind, AssetStatus } from './asset.vocabulary';

/** Time and ids arrive with the command; the decider reads no clock. */
export type RegisterAsset = {
  readonly type: 'RegisterAsset';
  readonly data: {
    readonly assetId: string;
    readonly tenantId: string;
    readonly name: string;
    readonly kind: AssetKind;
    readonly now: string;
  };
};

export type ChangeAssetStatus = {
  readonly type: 'ChangeAssetStatus';
  readonly data: {
    readonly assetId: string;
    readonly tenantId: string;
    readonly to: AssetStatus;
    readonly now: string;
  };
};

export type AssetCommand = RegisterAsset | ChangeAssetStatus;
