import { z } from 'zod';
import { baseConfigSchema } from '@meridian/shared/service-kit';

export const workflowConfigSchema = baseConfigSchema.extend({
  WORKFLOW_HTTP_PORT: z.coerce.number().int().min(1).max(65535).default(8082),
  /** Positions over all rings of one zone geometry (closing positions included). */
  ZONE_MAX_VERTICES: z.coerce.number().int().min(4).max(1_000_000).default(10_000),
  /** Added to a mission's window.start for its `deadline` (definitions published without their own). */
  MISSION_DEADLINE_TOLERANCE: z
    .string()
    .regex(/^P(?!$)(\d+D)?(T(?=\d)(\d+H)?(\d+M)?(\d+S)?)?$/)
    .default('PT15M'),
  /** Who dispatches durable timers: a Postgres poller or BullMQ on Redis (docs/missions.md has the measurement). */
  MISSION_TIMERS: z.enum(['poller', 'bullmq']).default('poller'),
  MISSION_TIMER_RECONCILE_MS: z.coerce.number().int().min(100).default(30_000),
  MISSION_SAGA_SWEEP_MS: z.coerce.number().int().min(100).default(10_000),
});
export type WorkflowConfig = z.infer<typeof workflowConfigSchema>;
