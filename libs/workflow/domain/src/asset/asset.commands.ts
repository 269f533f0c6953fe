import type { AccessAttributes, AccessDecision } from '../access/access';
import type { AssetKind, AssetStatus } from './asset.vocabulary';

/**
 * Time, ids and the access decision arrive with the command; the decider reads no clock and
 * knows no principal. `access` is the policy's verdict on `assets:write` for this asset (see
 * workflow/feature-assets `assetWriteAccess`).
 */
export type RegisterAsset = {
  readonly type: 'RegisterAsset';
  readonly data: AccessAttributes & {
    readonly assetId: string;
    readonly tenantId: string;
    readonly name: string;
    readonly kind: AssetKind;
    readonly now: string;
    readonly access: AccessDecision;
  };
};

export type ChangeAssetStatus = {
  readonly type: 'ChangeAssetStatus';
  readonly data: {
    readonly assetId: string;
    readonly tenantId: string;
    readonly to: AssetStatus;
    readonly now: string;
    /** The verdict on `assets:write` for the asset as it is (its sensitivity and team). */
    readonly access: AccessDecision;
  };
};

/** A mission's assignment saga reserves the asset for the mission's window `[start, end)`. */
export type ReserveAsset = {
  readonly type: 'ReserveAsset';
  readonly data: {
    readonly assetId: string;
    readonly tenantId: string;
    readonly missionId: string;
    readonly start: string;
    readonly end: string;
    readonly now: string;
  };
};
/** Gives a mission's reservation back (a failed assignment's compensation, or the mission ended). */
export type ReleaseAsset = {
  readonly type: 'ReleaseAsset';
  readonly data: {
    readonly assetId: string;
    readonly tenantId: string;
    readonly missionId: string;
    readonly now: string;
  };
};
export type AssetCommand = RegisterAsset | ChangeAssetStatus | ReserveAsset | ReleaseAsset;
