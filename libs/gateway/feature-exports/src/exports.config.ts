import { z } from 'zod';

/**
 * The export download's settings, spread into the gateway's config schema: where finished export
 * files are (the directory geo-query writes to; a shared volume when they run apart).
 */
export const exportsEnv = {
  EXPORTS_DIR: z.string().min(1).default('var/exports'),
};

const ExportsEnv = z.object(exportsEnv);

export const exportsDirOf = (config: unknown): string => ExportsEnv.parse(config ?? {}).EXPORTS_DIR;
