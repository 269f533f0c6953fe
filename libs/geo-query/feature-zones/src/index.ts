export * from './geo-query-zones.module';
