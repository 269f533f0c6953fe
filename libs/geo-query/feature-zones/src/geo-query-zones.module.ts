import { Module } from '@nestjs/common';
import { AssetVisitsHandler } from './asset-visits/asset-visits.handler';
import { AssetsInZoneHandler } from './assets-in-zone/assets-in-zone.handler';
import { GetZoneHandler } from './get-zone/get-zone.handler';
import { ListZonesHandler } from './list-zones/list-zones.handler';
import { ZoneVisitsHandler } from './zone-visits/zone-visits.handler';
import { zoneQueriesProvider } from './zone-queries.provider';

/** Zone and visit queries on `meridian.geo-query.requests`, one folder per query. */
@Module({
  controllers: [GetZoneHandler, ListZonesHandler, ZoneVisitsHandler, AssetVisitsHandler, AssetsInZoneHandler],
  providers: [zoneQueriesProvider],
})
export class GeoQueryZonesModule {}
