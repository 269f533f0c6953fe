export * from './source';
export * from './rebuild';
export * from './shadow-table';
export * from './newest-fixes';
export * from './zones.rebuild';
export * from './asset-latest.rebuild';
