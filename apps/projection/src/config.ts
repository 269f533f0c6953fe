import { z } from 'zod';
import { baseConfigSchema } from '@meridian/shared/service-kit';

export const projectionConfigSchema = baseConfigSchema.extend({
  PROJECTION_HTTP_PORT: z.coerce.number().int().min(1).max(65535).default(8083),
});
export type ProjectionConfig = z.infer<typeof projectionConfigSchema>;
