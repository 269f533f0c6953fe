export * from './gateway-telemetry.module';
export * from './ingest-telemetry/fix-validation';
export * from './ingest-telemetry/ndjson';
