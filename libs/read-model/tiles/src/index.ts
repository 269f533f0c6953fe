export * from './tile-bounds';
export * from './tile.queries';
