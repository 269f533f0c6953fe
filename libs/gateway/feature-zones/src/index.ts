export * from './gateway-zones.module';
