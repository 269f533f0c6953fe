export * from './service-metrics';
export * from './consumer-metrics';
export * from './http-metrics';
export * from './relay-metrics';
export * from './group-lag';
export * from './metrics-server';
export * from './exposition';
