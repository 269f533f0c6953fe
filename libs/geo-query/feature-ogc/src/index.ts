export * from './geo-query-ogc.module';
export * from './ogc-settings';
