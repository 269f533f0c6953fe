export * from './migrations/1764460800010-exports';
export * from './export-jobs';
export * from './export-queries';
export * from './inline-params';
