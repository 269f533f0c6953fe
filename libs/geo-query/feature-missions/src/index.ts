export * from './geo-query-missions.module';
export * from './allowed-events';
