export * from './geo-query-audit.module';
export * from './list-audit/list-audit.handler';
