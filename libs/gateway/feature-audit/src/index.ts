export * from './gateway-audit.module';
