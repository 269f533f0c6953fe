import { Module } from '@nestjs/common';
import { ArchiveZoneController } from './archive-zone/archive-zone.controller';
import './archive-zone/archive-zone.openapi';
import { CreateZoneController } from './create-zone/create-zone.controller';
import './create-zone/create-zone.openapi';
import { GetZoneController } from './get-zone/get-zone.controller';
import './get-zone/get-zone.openapi';
import { ListZonesController } from './list-zones/list-zones.controller';
import './list-zones/list-zones.openapi';
import { ReplaceZoneController } from './replace-zone/replace-zone.controller';
import './replace-zone/replace-zone.openapi';
import { ZoneAssetsController } from './zone-assets/zone-assets.controller';
import './zone-assets/zone-assets.openapi';
import { VisitsController } from './zone-visits/visits.controller';
import './zone-visits/visits.openapi';

/** `/v1/zones` (and `/v1/assets/{id}/visits`): one folder per use case, each with its controller and OpenAPI. */
@Module({
  controllers: [
    CreateZoneController,
    ListZonesController,
    GetZoneController,
    ReplaceZoneController,
    ArchiveZoneController,
    VisitsController,
    ZoneAssetsController,
  ],
})
export class GatewayZonesModule {}
