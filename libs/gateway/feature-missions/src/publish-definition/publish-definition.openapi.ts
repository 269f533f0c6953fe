import { ErrorCodes } from '@meridian/contracts/core';
import { MissionErrors } from '@meridian/contracts/missions';
import { errorResponses, jsonSchema, registerOperation } from '@meridian/gateway/util-http';
import { bodyErrors, idempotencyKeyHeader, pendingResponse } from '../mission-openapi';
import { PublishDefinitionBody } from './publish-definition.controller';

const MACHINE_EXAMPLE = {
  id: 'inspection',
  initial: 'draft',
  states: {
    draft: { on: { submit: { target: 'submitted', meta: { permission: 'missions:write' } } } },
    submitted: {
      on: { approve: { target: 'approved', guard: 'notCreator', meta: { permission: 'missions:approve' } } },
    },
    approved: { type: 'final' },
  },
};

registerOperation('/v1/workflow-definitions', 'post', () => ({
  summary: 'Publish a workflow definition (a new version of its key)',
  description:
    "An XState v5 machine config (JSON) with Meridian's guard, delay and `meta.permission` vocabulary " +
    '(docs/missions.md), checked by workflow before anything is written: unknown guards, delays or permissions, ' +
    'events without `meta.permission`, unreachable states and final states with exits are 400 DEFINITION.INVALID ' +
    'with the reason. Publishing a key again makes its next version; running missions stay on theirs. ' +
    '`deadlineTolerance` (ISO 8601 duration, default PT15M) is how long after `window.start` a mission may arrive.',
  operationId: 'publishWorkflowDefinition',
  parameters: [idempotencyKeyHeader('a retry publishes no second version')],
  requestBody: {
    required: true,
    content: {
      'application/json': {
        schema: jsonSchema(PublishDefinitionBody),
        example: { key: 'inspection', machine: MACHINE_EXAMPLE, deadlineTolerance: 'PT30M' },
      },
    },
  },
  responses: {
    '201': {
      description: 'Published; `version` is the new version of the definition `key`.',
      headers: { Location: { schema: { type: 'string' } } },
      content: {
        'application/json': {
          schema: {
            type: 'object',
            required: ['key', 'version'],
            properties: { key: { type: 'string' }, version: { type: 'integer' } },
          },
          example: { key: 'inspection', version: 2 },
        },
      },
    },
    '202': pendingResponse,
    ...errorResponses(
      ...bodyErrors,
      MissionErrors.definitionInvalid,
      ErrorCodes.idempotencyKeyInvalid,
      ErrorCodes.idempotencyInProgress,
      ErrorCodes.idempotencyKeyReused,
    ),
  },
}));
