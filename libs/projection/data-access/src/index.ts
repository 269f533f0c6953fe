export * from './read-model.sql';
export * from './asset-latest.repository';
export * from './positions.repository';
