import { z } from 'zod';
import { DirectoryStorage, type ExportStorage } from './export-storage';
import { isS3Prefix, S3Storage } from './s3-storage';

/** An optional setting; set but empty (`FOO=` in a compose file or chart) counts as unset. */
const optional = <T extends z.ZodType<unknown, string>>(schema: T) =>
  z.preprocess((v) => (v === '' ? undefined : v), schema.optional());

/**
 * Where export files are kept, spread into the config schema of each service that reads or writes
 * them (geo-query, gateway); apply `refineExportStorageEnv` to that schema too.
 */
export const exportStorageEnv = {
  EXPORTS_STORAGE: z.enum(['directory', 's3']).default('directory'),
  // directory: relative to the working directory; a volume shared by geo-query and the gateway.
  EXPORTS_DIR: z.string().min(1).default('var/exports'),
  EXPORTS_S3_BUCKET: optional(z.string().min(3).max(63)),
  // Folders before every key: empty, or each segment ending in `/`.
  EXPORTS_S3_PREFIX: z.string().default('exports/').refine(isS3Prefix, 'empty, or folders ending in / (exports/)'),
  EXPORTS_S3_REGION: z.string().min(1).default('us-east-1'),
  // An S3-compatible server (MinIO, Ceph, …); AWS S3 when unset.
  EXPORTS_S3_ENDPOINT: optional(z.url({ protocol: /^https?$/ })),
  // true/false, 1/0, yes/no, on/off: most self-hosted servers need path-style URLs.
  EXPORTS_S3_FORCE_PATH_STYLE: z
    // A boolean: a config this schema already validated, read back by exportStorageOf.
    .preprocess((v) => (typeof v === 'boolean' ? String(v) : v), optional(z.stringbool()))
    .transform((v) => v ?? false),
  // Both or neither: without them the SDK's default chain (env, profile, IRSA, instance role).
  EXPORTS_S3_ACCESS_KEY_ID: optional(z.string().min(1)),
  EXPORTS_S3_SECRET_ACCESS_KEY: optional(z.string().min(1)),
};

const NEEDS_BUCKET = 'EXPORTS_S3_BUCKET is required when EXPORTS_STORAGE=s3';

type ExportStorageShape = z.infer<z.ZodObject<typeof exportStorageEnv>>;

/** For the service's whole schema: `.superRefine(refineExportStorageEnv)`. */
export function refineExportStorageEnv(c: ExportStorageShape, ctx: z.RefinementCtx): void {
  if (c.EXPORTS_STORAGE === 's3' && c.EXPORTS_S3_BUCKET === undefined) {
    ctx.addIssue({
      code: 'custom',
      path: ['EXPORTS_S3_BUCKET'],
      message: NEEDS_BUCKET,
    });
  }
  if ((c.EXPORTS_S3_ACCESS_KEY_ID === undefined) !== (c.EXPORTS_S3_SECRET_ACCESS_KEY === undefined)) {
    ctx.addIssue({
      code: 'custom',
      path: ['EXPORTS_S3_SECRET_ACCESS_KEY'],
      message: 'set both EXPORTS_S3_ACCESS_KEY_ID and EXPORTS_S3_SECRET_ACCESS_KEY, or neither',
    });
  }
}

const ExportStorageEnv = z.object(exportStorageEnv).superRefine(refineExportStorageEnv);

export type ExportStorageConfig = z.infer<typeof ExportStorageEnv>;

/** The storage a validated config names. */
export function createExportStorage(config: ExportStorageConfig): ExportStorage {
  switch (config.EXPORTS_STORAGE) {
    case 'directory':
      return new DirectoryStorage(config.EXPORTS_DIR);
    case 's3':
      if (config.EXPORTS_S3_BUCKET === undefined) throw new Error(NEEDS_BUCKET);
      return new S3Storage({
        bucket: config.EXPORTS_S3_BUCKET,
        prefix: config.EXPORTS_S3_PREFIX,
        region: config.EXPORTS_S3_REGION,
        endpoint: config.EXPORTS_S3_ENDPOINT,
        forcePathStyle: config.EXPORTS_S3_FORCE_PATH_STYLE,
        accessKeyId: config.EXPORTS_S3_ACCESS_KEY_ID,
        secretAccessKey: config.EXPORTS_S3_SECRET_ACCESS_KEY,
      });
    default: {
      const unknown: never = config.EXPORTS_STORAGE;
      throw new Error(`unknown EXPORTS_STORAGE ${String(unknown)}`);
    }
  }
}

/** From a service's validated config (or any object: missing settings take their defaults). */
export const exportStorageOf = (config: unknown): ExportStorage =>
  createExportStorage(ExportStorageEnv.parse(config ?? {}));
