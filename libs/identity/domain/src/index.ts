export * from './tenant/tenant';
