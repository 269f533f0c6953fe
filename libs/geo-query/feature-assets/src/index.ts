export * from './asset-queries.sql';
export * from './geo-query-assets.module';
