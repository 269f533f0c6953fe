export * from './export-storage';
export * from './s3-storage';
export * from './storage-config';
