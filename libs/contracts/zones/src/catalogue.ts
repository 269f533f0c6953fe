import { type CatalogueEntry, Topics } from '@meridian/contracts/core';
import { GeofenceEnteredV1, GeofenceExitedV1 } from './geofence';
import { AssetsInZoneV1, AssetVisitsV1, GetZoneV1, ListZonesV1, ZoneVisitsV1 } from './zone-queries';
import {
  ArchiveZoneV1,
  CreateZoneV1,
  CreateZoneV2,
  ReplaceZoneV1,
  ReplaceZoneV2,
  ZoneArchivedV1,
  ZoneCreatedV1,
  ZoneCreatedV2,
  ZoneReplacedV1,
  ZoneReplacedV2,
} from './zones';

/** Where each zone message travels; the AsyncAPI document is generated from the catalogues. */
export const catalogue: readonly CatalogueEntry[] = [
  { contract: CreateZoneV1, topic: Topics.workflowCommands },
  { contract: CreateZoneV2, topic: Topics.workflowCommands },
  { contract: ReplaceZoneV1, topic: Topics.workflowCommands },
  { contract: ReplaceZoneV2, topic: Topics.workflowCommands },
  { contract: ArchiveZoneV1, topic: Topics.workflowCommands },
  { contract: ZoneCreatedV1, topic: Topics.workflowEvents },
  { contract: ZoneCreatedV2, topic: Topics.workflowEvents },
  { contract: ZoneReplacedV1, topic: Topics.workflowEvents },
  { contract: ZoneReplacedV2, topic: Topics.workflowEvents },
  { contract: ZoneArchivedV1, topic: Topics.workflowEvents },
  { contract: GeofenceEnteredV1, topic: Topics.projectionEvents },
  { contract: GeofenceExitedV1, topic: Topics.projectionEvents },
  { contract: GetZoneV1, topic: Topics.geoQueryRequests },
  { contract: ListZonesV1, topic: Topics.geoQueryRequests },
  { contract: ZoneVisitsV1, topic: Topics.geoQueryRequests },
  { contract: AssetVisitsV1, topic: Topics.geoQueryRequests },
  { contract: AssetsInZoneV1, topic: Topics.geoQueryRequests },
];
