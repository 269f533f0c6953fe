import { z } from 'zod';
import { exportStorageEnv, refineExportStorageEnv } from '@meridian/shared/export-storage';
import { baseConfigSchema } from '@meridian/shared/service-kit';

export const geoQueryConfigSchema = baseConfigSchema
  .extend({
    GEO_QUERY_HTTP_PORT: z.coerce.number().int().min(1).max(65535).default(8084),
    // Vector tiles (ADR 0020): features per layer per tile before the tile is capped (and says so in
    // its `meta` layer), and bytes per tile, which must stay below the 768 KiB of one produce request.
    GEO_QUERY_TILE_MAX_FEATURES: z.coerce.number().int().min(1).max(200_000).default(10_000),
    // Positions tiles at zooms below this hold fix counts per H3 cell from the hourly counts (ADR 0020);
    // 0 never aggregates.
    GEO_QUERY_TILE_AGGREGATE_BELOW_ZOOM: z.coerce.number().int().min(0).max(23).default(10),
    GEO_QUERY_TILE_MAX_BYTES: z.coerce
      .number()
      .int()
      .min(1024)
      .max(720 * 1024)
      .default(640 * 1024),
    // OGC items (ADR 0021): numberMatched counts at most this many matches, and is left out above it.
    GEO_QUERY_OGC_COUNT_CAP: z.coerce.number().int().min(1).max(10_000_000).default(100_000),
    // Export jobs (issue 13): files land gzip-compressed in the export storage (EXPORTS_STORAGE: a directory,
    // EXPORTS_DIR, or S3), which the gateway streams downloads from; jobs are dispatched through BullMQ on REDIS_URL.
    ...exportStorageEnv,
    EXPORTS_CONCURRENCY: z.coerce.number().int().min(1).max(64).default(2),
    EXPORTS_TTL_HOURS: z.coerce
      .number()
      .int()
      .min(1)
      .max(24 * 90)
      .default(24),
    EXPORTS_MAX_ACTIVE_PER_PRINCIPAL: z.coerce.number().int().min(1).max(1000).default(5),
    EXPORTS_SWEEP_MS: z.coerce.number().int().min(1000).default(300_000),
    EXPORTS_RECONCILE_MS: z.coerce.number().int().min(1000).default(30_000),
    // A running export renews its lease every second; one not renewed this long is taken over.
    EXPORTS_LEASE_MS: z.coerce.number().int().min(5000).default(60_000),
    EXPORTS_MAX_ATTEMPTS: z.coerce.number().int().min(1).max(20).default(3),
  })
  .superRefine(refineExportStorageEnv)
  .superRefine(refineExportPool);
/**
 * A running export holds a pool client for its COPY and records its progress through the same
 * pool: with too few clients every run waits for another's, for ever. Two clients per export (its
 * COPY, its heartbeat) and two for the rest (requests, the sweep and reconciliation).
 */
function refineExportPool(c: { EXPORTS_CONCURRENCY: number; DATABASE_POOL_SIZE: number }, ctx: z.RefinementCtx): void {
  const needed = c.EXPORTS_CONCURRENCY * 2 + 2;
  if (needed > c.DATABASE_POOL_SIZE) {
    ctx.addIssue({
      code: 'custom',
      path: ['EXPORTS_CONCURRENCY'],
      message:
        `EXPORTS_CONCURRENCY=${c.EXPORTS_CONCURRENCY} needs DATABASE_POOL_SIZE of at least ${needed} ` +
        `(2 per export + 2), not ${c.DATABASE_POOL_SIZE}: raise the pool or lower the concurrency`,
    });
  }
}

export type GeoQueryConfig = z.infer<typeof geoQueryConfigSchema>;
