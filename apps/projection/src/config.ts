import { z } from 'zod';
import { baseConfigSchema } from '@meridian/shared/service-kit';

const projectionBaseSchema = baseConfigSchema.extend({
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
// Webhooks (issue 13): deliveries recorded in PostgreSQL (schema `webhooks`), sent through BullMQ on REDIS_URL.
const retrySchedule = z
  .string()
  .regex(/^\s*\d+(\s*,\s*\d+)*\s*$/, 'a comma-separated list of milliseconds')
  .transform((s) => s.split(',').map((ms) => Number(ms.trim())));

export const webhooksConfigSchema = z.object({
  /** Subscriptions a tenant may have (not deleted); one more is refused with WEBHOOK.LIMIT_REACHED. */
  WEBHOOKS_MAX_PER_TENANT: z.coerce.number().int().min(1).max(10_000).default(100),
  /** Delivery attempts in flight per projection instance (BullMQ worker concurrency). */
  WEBHOOKS_CONCURRENCY: z.coerce.number().int().min(1).max(1000).default(32),
  /** Attempts in flight per subscription, across instances: a slow endpoint cannot take the whole worker. */
  WEBHOOKS_ENDPOINT_CONCURRENCY: z.coerce.number().int().min(1).max(1000).default(4),
  /** One attempt's deadline in milliseconds, from connecting to the end of the (capped, discarded) response. */
  WEBHOOKS_TIMEOUT_MS: z.coerce.number().int().min(100).max(120_000).default(10_000),
  /** Delays between attempts (ms, ±20 % jitter); one attempt more than delays, then the delivery is dead. */
  WEBHOOKS_RETRY_SCHEDULE_MS: retrySchedule.default([
    5_000, 300_000, 1_800_000, 7_200_000, 18_000_000, 36_000_000, 36_000_000,
  ]),
  /**
   * How often the deliveries due within the next two periods are re-added to Redis; every pending
   * delivery is re-added only at start, on reconnect and after a flush.
   */
  WEBHOOKS_RECONCILE_MS: z.coerce.number().int().min(100).max(3_600_000).default(30_000),
  /** Finished deliveries (and their attempts) older than this many days are deleted. */
  WEBHOOKS_RETENTION_DAYS: z.coerce.number().int().min(1).max(3650).default(30),
  /** How long a rotated-out signing secret still signs, in milliseconds (requests carry both signatures). */
  WEBHOOKS_SECRET_GRACE_MS: z.coerce
    .number()
    .int()
    .min(0)
    .max(30 * 86_400_000)
    .default(86_400_000),
  /** Redis key prefix and BullMQ queue name of the deliveries. */
  WEBHOOKS_REDIS_PREFIX: z
    .string()
    .regex(/^[\w.-]+$/)
    .default('meridian'),
  WEBHOOKS_QUEUE: z
    .string()
    .regex(/^[\w.-]+$/)
    .default('webhooks'),
  /**
   * Development only: endpoints on loopback (127.0.0.0/8, ::1, localhost) are allowed, over plain http
   * too. Every other private, link-local or reserved address stays refused. Logged as a warning at start.
   */
  WEBHOOKS_ALLOW_LOOPBACK: z
    .enum(['true', 'false'])
    .default('false')
    .transform((v) => v === 'true'),
});

export const projectionConfigSchema = projectionBaseSchema
  .extend(webhooksConfigSchema.shape)
  .superRefine((config, ctx) => {
    if (config.NODE_ENV === 'production' && config.WEBHOOKS_ALLOW_LOOPBACK) {
      ctx.addIssue({
        code: 'custom',
        path: ['WEBHOOKS_ALLOW_LOOPBACK'],
        message: 'loopback webhook targets are for development only; must not be true when NODE_ENV=production',
      });
    }
  });
export type ProjectionConfig = z.infer<typeof projectionConfigSchema>;
