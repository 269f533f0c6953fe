import { Module } from '@nestjs/common';
import { GetTileController } from './get-tile/get-tile.controller';
import './get-tile/get-tile.openapi';

/** `/v1/tiles/{layer}/{z}/{x}/{y}.mvt`: vector tiles from geo-query. */
@Module({ controllers: [GetTileController] })
export class GatewayTilesModule {}
