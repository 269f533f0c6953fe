export * from './exports';
export * from './export.errors';
export * from './catalogue';
