export * from './geo-query-positions.module';
