export * from './export-storage';
