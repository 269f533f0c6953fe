import { z } from 'zod';
import { baseConfigSchema } from '@meridian/shared/service-kit';

export const workflowConfigSchema = baseConfigSchema.extend({
  WORKFLOW_HTTP_PORT: z.coerce.number().int().min(1).max(65535).default(8082),
  /** Positions over all rings of one zone geometry (closing positions included). */
  ZONE_MAX_VERTICES: z.coerce.number().int().min(4).max(1_000_000).default(10_000),
});
export type WorkflowConfig = z.infer<typeof workflowConfigSchema>;
