import type { DomainEvent } from '@meridian/shared/decider';
import type { AccessAttributes } from '../access/access';
import type { AssetKind, AssetStatus } from './asset.vocabulary';

type Registration = AccessAttributes & {
  readonly assetId: string;
  readonly tenantId: string;
  readonly name: string;
  readonly kind: AssetKind;
  readonly registeredAt: string;
};

/** An asset was registered, with its access attributes (issue 9). */
export type AssetRegistered = DomainEvent<'asset.registered.v2', Registration>;

/**
 * Registrations stored before access attributes existed. Read through `workflowUpcasters` (as the
 * workflow's event store is), they carry v2's data: sensitivity 0, no team. Never decided again.
 */
export type AssetRegisteredV1 = DomainEvent<'asset.registered.v1', Registration>;

export type AssetStatusChanged = DomainEvent<
  'asset.status-changed.v1',
  { readonly assetId: string; readonly from: AssetStatus; readonly to: AssetStatus; readonly changedAt: string }
>;

export type AssetReserved = DomainEvent<
  'asset.reserved.v1',
  {
    readonly assetId: string;
    readonly missionId: string;
    readonly start: string;
    readonly end: string;
    readonly reservedAt: string;
  }
>;
export type AssetReservationReleased = DomainEvent<
  'asset.reservation-released.v1',
  { readonly assetId: string; readonly missionId: string; readonly releasedAt: string }
>;
export type AssetEvent =
  AssetRegistered | AssetRegisteredV1 | AssetStatusChanged | AssetReserved | AssetReservationReleased;
