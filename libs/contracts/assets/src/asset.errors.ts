import { defineErrors } from '@meridian/contracts/core';

export const AssetErrors = defineErrors({
  assetAlreadyRegistered: {
    code: 'ASSET.ALREADY_REGISTERED',
    status: 409,
    description:
      'workflow refused to register an asset id that exists. Without an `Idempotency-Key` the asset id is a fresh ' +
      'UUIDv7; with one, a retry carries the same command id and is answered like the first attempt.',
  },
  assetNotFound: {
    code: 'ASSET.NOT_FOUND',
    status: 404,
    description: 'No such asset in this tenant (assets of other tenants are not found either).',
  },
  assetUnknown: {
    code: 'ASSET.UNKNOWN',
    status: null,
    statusNote: 'per fix',
    description: 'A telemetry fix names an asset that is not registered in the tenant.',
  },
  assetInvalidTransition: {
    code: 'ASSET.INVALID_TRANSITION',
    status: 409,
    description:
      'The asset lifecycle does not allow this status change ' +
      '(registered → available ⇄ assigned ⇄ maintenance → retired).',
  },
  assetRetired: { code: 'ASSET.RETIRED', status: 409, description: 'A retired asset cannot change status.' },
  assetReservationConflict: {
    code: 'ASSET.RESERVATION_CONFLICT',
    status: 409,
    description:
      "The asset is reserved for another mission in an overlapping window (a reason in the mission's history).",
  },
});
