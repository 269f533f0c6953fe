import { type CatalogueEntry, Topics } from '@meridian/contracts/core';
import { AssetsExistV1, GetAssetV1, ListAssetsInBboxV1 } from './asset-queries';
import { AssetsAtV1, AssetTrackV1, HeatmapV1, NearestAssetsV1 } from './position-queries';
import { AssetRegisteredV1, AssetRegisteredV2, AssetStatusChangedV1, RegisterAssetV1, RegisterAssetV2 } from './assets';

/** Where each asset message travels; the AsyncAPI document is generated from the catalogues. */
export const catalogue: readonly CatalogueEntry[] = [
  { contract: RegisterAssetV1, topic: Topics.workflowCommands },
  { contract: RegisterAssetV2, topic: Topics.workflowCommands },
  { contract: AssetRegisteredV1, topic: Topics.workflowEvents },
  { contract: AssetRegisteredV2, topic: Topics.workflowEvents },
  { contract: AssetStatusChangedV1, topic: Topics.workflowEvents },
  { contract: GetAssetV1, topic: Topics.geoQueryRequests },
  { contract: ListAssetsInBboxV1, topic: Topics.geoQueryRequests },
  { contract: AssetsExistV1, topic: Topics.geoQueryRequests },
  { contract: AssetsAtV1, topic: Topics.geoQueryRequests },
  { contract: AssetTrackV1, topic: Topics.geoQueryRequests },
  { contract: NearestAssetsV1, topic: Topics.geoQueryRequests },
  { contract: HeatmapV1, topic: Topics.geoQueryRequests },
];
