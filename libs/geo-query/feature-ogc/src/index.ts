export * from './geo-query-ogc.module';
export * from './ogc-settings';
export { OgcReads } from './ogc-reads';
