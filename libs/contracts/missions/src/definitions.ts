import { z } from 'zod';
import { defineMessage } from '@meridian/contracts/core';

/** A workflow definition's key: lower case, digits and dashes, per tenant. */
export const DefinitionKey = z.string().regex(/^[a-z][a-z0-9-]{0,62}$/, 'a lower-case key of letters, digits and -');
export const DEFAULT_DEFINITION_KEY = 'default';

/** An ISO 8601 duration of days, hours, minutes and seconds (`PT15M`, `P1DT2H`). */
export const IsoDuration = z
  .string()
  .regex(/^P(?!$)(\d+D)?(T(?=\d)(\d+H)?(\d+M)?(\d+S)?)?$/, 'an ISO 8601 duration such as PT15M');

/**
 * An XState v5 machine config as JSON. Its shape is checked by workflow on upload (states, `on`,
 * `after`, guards from the vocabulary, `meta.permission` per event, reachability, final states):
 * DEFINITION.INVALID names what and where. docs/missions.md documents the vocabulary.
 */
export const MachineConfig = z.record(z.string(), z.unknown());
export type MachineConfig = z.infer<typeof MachineConfig>;

/** Commands: gateway → workflow (`meridian.workflow.commands`, key = definition key). */
export const PublishWorkflowDefinitionV1 = defineMessage(
  'meridian.workflow.definition.publish.v1',
  'command',
  z.strictObject({
    key: DefinitionKey,
    machine: MachineConfig,
    /** How long after `window.start` a mission may still arrive before its `deadline` timer fires. */
    deadlineTolerance: IsoDuration.optional(),
  }),
  "Publish a new version of the tenant's workflow definition `key` (an XState v5 machine config with Meridian's " +
    'guard, delay and meta vocabulary). Missions started on earlier versions stay on them. Needs `missions:approve`.',
);

/** Integration event: workflow → everyone (`meridian.workflow.events`, key = definition key). */
export const WorkflowDefinitionPublishedV1 = defineMessage(
  'meridian.workflow.definition.published.v1',
  'event',
  z.strictObject({
    tenantId: z.string(),
    key: DefinitionKey,
    version: z.number().int().positive(),
    machine: MachineConfig,
    deadlineTolerance: IsoDuration,
    publishedAt: z.iso.datetime({ offset: true }),
  }),
  'A version of a workflow definition was published (version 1 of `default` is the seeded default).',
);
