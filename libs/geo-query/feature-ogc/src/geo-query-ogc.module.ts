import { type DynamicModule, Module } from '@nestjs/common';
import { OgcCollectionsHandler } from './collections/ogc-collections.handler';
import { OgcFeatureHandler } from './feature/ogc-feature.handler';
import { OgcItemsHandler } from './items/ogc-items.handler';
import { OgcReads } from './ogc-reads';
import { defaultOgcReadLimits, OGC_READ_LIMITS, type OgcReadLimits } from './ogc-settings';

/** OGC API – Features queries on `meridian.geo-query.requests`: collections' extents, items, one feature. */
@Module({})
export class GeoQueryOgcModule {
  static forRoot(limits: Partial<OgcReadLimits> = {}): DynamicModule {
    return {
      module: GeoQueryOgcModule,
      controllers: [OgcCollectionsHandler, OgcItemsHandler, OgcFeatureHandler],
      providers: [OgcReads, { provide: OGC_READ_LIMITS, useValue: { ...defaultOgcReadLimits, ...limits } }],
    };
  }
}
