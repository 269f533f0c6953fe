import { Module } from '@nestjs/common';
import { TypeOrmModule } from '@nestjs/typeorm';
import { AssetLatest } from '@meridian/read-model/assets';
import { AssetsExistHandler } from './assets-exist/assets-exist.handler';
import { GetAssetHandler } from './get-asset/get-asset.handler';
import { ListAssetsHandler } from './list-assets/list-assets.handler';
import { NearestAssetsHandler } from './nearest-assets/nearest-assets.handler';

/** Asset queries on `meridian.geo-query.requests`, one folder per query. */
@Module({
  imports: [TypeOrmModule.forFeature([AssetLatest])],
  controllers: [GetAssetHandler, ListAssetsHandler, AssetsExistHandler, NearestAssetsHandler],
})
export class GeoQueryAssetsModule {}
