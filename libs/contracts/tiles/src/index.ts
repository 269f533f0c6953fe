export * from './tiles';
export * from './tile.errors';
export * from './catalogue';
