export * from './projection-telemetry.module';
export * from './store-positions/positions.ingestor';
export * from './store-positions/partition-maintenance';
