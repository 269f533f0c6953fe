export * from './geo-query-exports.module';
export * from './exports.options';
export * from './run-exports/export-dispatcher';
export * from './run-exports/export-runner';
export * from './run-exports/export-formats';
export * from './expire-exports/export-sweeper';
export * from './start-export/export-filter';
export * from './run-exports/export-failure';
