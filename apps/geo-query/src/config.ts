import { z } from 'zod';
import { baseConfigSchema } from '@meridian/shared/service-kit';

export const geoQueryConfigSchema = baseConfigSchema.extend({
  GEO_QUERY_HTTP_PORT: z.coerce.number().int().min(1).max(65535).default(8084),
});
export type GeoQueryConfig = z.infer<typeof geoQueryConfigSchema>;
