export * from './asset-latest.entity';
export * from './asset-latest.writes';
export * from './asset-latest.queries';
export * from './migrations/1764460800001-asset-latest';
export * from './read-scope';
