import { Module } from '@nestjs/common';
import { OgcCollectionsHandler } from './collections/ogc-collections.handler';
import { OgcFeatureHandler } from './feature/ogc-feature.handler';
import { OgcItemsHandler } from './items/ogc-items.handler';
import { OgcReads } from './ogc-reads';

/** OGC API – Features queries on `meridian.geo-query.requests`: collections' extents, items, one feature. */
@Module({
  controllers: [OgcCollectionsHandler, OgcItemsHandler, OgcFeatureHandler],
  providers: [OgcReads],
})
export class GeoQueryOgcModule {}
