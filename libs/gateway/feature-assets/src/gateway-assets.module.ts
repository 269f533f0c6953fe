import { Module } from '@nestjs/common';
import { GetAssetController } from './get-asset/get-asset.controller';
import './get-asset/get-asset.openapi';
import { ListAssetsController } from './list-assets/list-assets.controller';
import './list-assets/list-assets.openapi';
import { RegisterAssetController } from './register-asset/register-asset.controller';
import './register-asset/register-asset.openapi';

/** `/v1/assets`: one folder per use case, each with its controller and its OpenAPI operation. */
@Module({ controllers: [RegisterAssetController, GetAssetController, ListAssetsController] })
export class GatewayAssetsModule {}
