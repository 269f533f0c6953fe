/**
 * The asset's own vocabulary. The domain imports only the core contracts, never a context's
 * integration schemas: the edge (workflow/feature-assets) maps between the two, and a test there
 * checks that they agree.
 */
export const assetKinds = ['drone', 'vehicle', 'sensor', 'crew'] as const;
export type AssetKind = (typeof assetKinds)[number];

export const assetStatuses = ['registered', 'available', 'assigned', 'maintenance', 'retired'] as const;
export type AssetStatus = (typeof assetStatuses)[number];

/** Stable codes of the asset's refusals; contracts/assets declares each with its HTTP status. */
export const AssetRejections = {
  alreadyRegistered: 'ASSET.ALREADY_REGISTERED',
  notFound: 'ASSET.NOT_FOUND',
  invalidTransition: 'ASSET.INVALID_TRANSITION',
  retired: 'ASSET.RETIRED',
  reservationConflict: 'ASSET.RESERVATION_CONFLICT',
} as const;
