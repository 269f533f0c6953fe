/**
 * The export download's settings, spread into the gateway's config schema: where finished export
 * files are — the storage geo-query writes to (a directory, a shared volume when they run apart, or
 * S3-compatible storage). The same variables configure both services.
 */
export { exportStorageEnv as exportsEnv, refineExportStorageEnv } from '@meridian/shared/export-storage';
