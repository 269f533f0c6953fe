import { Module } from '@nestjs/common';
import { ApiDocumentController } from './api-document/api-document.controller';
import { CollectionsController } from './collections/collections.controller';
import { ConformanceController } from './conformance/conformance.controller';
import { FeatureController } from './feature/feature.controller';
import { ItemsController } from './items/items.controller';
import { LandingController } from './landing/landing.controller';
import { TrailingSlashRedirect } from './landing/trailing-slash';
import './ogc.openapi';

/**
 * `/ogc`: OGC API – Features Part 1: Core (landing page, conformance, OpenAPI 3.0 document,
 * collections, items, feature), tenant-scoped like /v1, GeoJSON by default and HTML on request.
 */
@Module({
  controllers: [
    LandingController,
    ConformanceController,
    ApiDocumentController,
    CollectionsController,
    ItemsController,
    FeatureController,
  ],
  providers: [TrailingSlashRedirect],
})
export class GatewayOgcModule {}
