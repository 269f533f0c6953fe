export * from './gateway.config';
export * from './service-bus';
export * from './idempotency';
export * from './tenant-directory';
export * from './tenant-resolution';
export * from './asset-directory';
export * from './gateway-data-access.module';
