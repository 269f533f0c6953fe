import { type CatalogueEntry, Topics } from '@meridian/contracts/core';
import { GetExportV1, ListExportsV1, StartExportV1 } from './exports';

/** Where each export message travels; the AsyncAPI document is generated from the catalogues. */
export const catalogue: readonly CatalogueEntry[] = [StartExportV1, GetExportV1, ListExportsV1].map((contract) => ({
  contract,
  topic: Topics.geoQueryRequests,
}));
