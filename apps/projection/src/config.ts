import { z } from 'zod';
import { baseConfigSchema } from '@meridian/shared/service-kit';

export const projectionConfigSchema = baseConfigSchema.extend({
  PROJECTION_HTTP_PORT: z.coerce.number().int().min(1).max(65535).default(8083),
  /** Day partitions of read.positions kept ready ahead of the clock. */
  PROJECTION_PARTITIONS_AHEAD_DAYS: z.coerce.number().int().min(1).max(366).default(7),
  /** Telemetry partitions written at the same time (each its own transaction). */
  PROJECTION_TELEMETRY_CONCURRENCY: z.coerce.number().int().min(1).max(64).default(6),
  /** Where fixes meet zones: `memory` (R-tree per tenant in the projection) or `sql` (spatial join; ADR 0017). */
  PROJECTION_GEOFENCE_INDEX: z.enum(['memory', 'sql']).default('memory'),
  /** How often zones whose validity window opened or closed are re-evaluated (milliseconds). */
  PROJECTION_ZONE_VALIDITY_INTERVAL_MS: z.coerce.number().int().min(100).max(3_600_000).default(15_000),
  /** How often the closed hours of read.position_cells are merged into one row per cell (0: never). */
  PROJECTION_CELL_COMPACTION_INTERVAL_MS: z.coerce.number().int().min(0).max(86_400_000).default(300_000),
});
export type ProjectionConfig = z.infer<typeof projectionConfigSchema>;
