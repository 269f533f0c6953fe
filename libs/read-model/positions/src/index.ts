export * from './position.entity';
export * from './partitions';
export * from './positions.writes';
export * from './migrations/1764460800002-positions';
export * from './copy-format';
export * from './migrations/1764460800004-telemetry-write-path';
export * from './migrations/1764460800005-position-queries';
