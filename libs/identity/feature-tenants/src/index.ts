export * from './tenants';
export * from './identity-tenants.module';
