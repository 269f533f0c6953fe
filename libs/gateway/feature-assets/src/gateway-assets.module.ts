import { Module } from '@nestjs/common';
import { AssetTrackController } from './asset-track/asset-track.controller';
import './asset-track/asset-track.openapi';
import { GetAssetController } from './get-asset/get-asset.controller';
import './get-asset/get-asset.openapi';
import { HeatmapController } from './heatmap/heatmap.controller';
import './heatmap/heatmap.openapi';
import { ListAssetsController } from './list-assets/list-assets.controller';
import './list-assets/list-assets.openapi';
import { NearestAssetsController } from './nearest-assets/nearest-assets.controller';
import './nearest-assets/nearest-assets.openapi';
import { RegisterAssetController } from './register-asset/register-asset.controller';
import './register-asset/register-asset.openapi';

/**
 * `/v1/assets` and the queries of position history (`/v1/assets/{id}/track`, `/v1/assets/nearest`,
 * `/v1/heatmap`): one folder per use case, each with its controller and its OpenAPI operation.
 * `nearest` is declared before `:id` so the static route is the one Nest registers first.
 */
@Module({
  controllers: [
    RegisterAssetController,
    NearestAssetsController,
    GetAssetController,
    ListAssetsController,
    AssetTrackController,
    HeatmapController,
  ],
})
export class GatewayAssetsModule {}
