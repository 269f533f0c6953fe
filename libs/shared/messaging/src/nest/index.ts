export * from './decorators';
export * from './meridian-server';
export * from './meridian-client';
