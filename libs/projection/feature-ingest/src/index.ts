export * from './asset-events.projector';
export * from './telemetry.ingestor';
export * from './projection-ingest.module';
