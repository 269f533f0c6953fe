export * from './telemetry';
export * from './telemetry.errors';
export * from './catalogue';
