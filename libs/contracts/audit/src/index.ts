export * from './audit';
export * from './catalogue';
