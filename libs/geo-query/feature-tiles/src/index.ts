export * from './geo-query-tiles.module';
export * from './tile-settings';
