import { z } from 'zod';
import { baseConfigSchema } from '@meridian/shared/service-kit';

export const projectionConfigSchema = baseConfigSchema.extend({
  PROJECTION_HTTP_PORT: z.coerce.number().int().min(1).max(65535).default(8083),
  /** Day partitions of read.positions kept ready ahead of the clock. */
  PROJECTION_PARTITIONS_AHEAD_DAYS: z.coerce.number().int().min(1).max(366).default(7),
});
export type ProjectionConfig = z.infer<typeof projectionConfigSchema>;
