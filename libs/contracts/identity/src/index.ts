export * from './tenants';
export * from './identity.errors';
export * from './catalogue';
