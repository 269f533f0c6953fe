import { z } from 'zod';
import { baseConfigSchema } from '@meridian/shared/service-kit';

export const workflowConfigSchema = baseConfigSchema.extend({
  WORKFLOW_HTTP_PORT: z.coerce.number().int().min(1).max(65535).default(8082),
});
export type WorkflowConfig = z.infer<typeof workflowConfigSchema>;
