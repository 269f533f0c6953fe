import { type CatalogueEntry, Topics } from '@meridian/contracts/core';
import { OgcCollectionsV1, OgcFeatureV1, OgcItemsV1 } from './ogc-queries';

/** Where each OGC API – Features message travels; the AsyncAPI document is generated from the catalogues. */
export const catalogue: readonly CatalogueEntry[] = [
  { contract: OgcCollectionsV1, topic: Topics.geoQueryRequests },
  { contract: OgcItemsV1, topic: Topics.geoQueryRequests },
  { contract: OgcFeatureV1, topic: Topics.geoQueryRequests },
];
