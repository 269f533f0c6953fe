export * from './ogc-queries';
export * from './ogc.errors';
export * from './catalogue';
