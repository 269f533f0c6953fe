export * from './geo-query-ogc.module';
