export * from './gateway.config';
export * from './problem';
export * from './problem.filter';
export * from './tenant';
export * from './openapi';
export * from './gateway-assets.module';
export * from './fix-validation';
export * from './tenant-directory';
