export * from './tile-aggregation';
export * from './tile-bounds';
export * from './tile.queries';
