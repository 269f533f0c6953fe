export * from './gateway-missions.module';
