export * from './gateway-exports.module';
export * from './exports.config';
export * from './exports.controller';
