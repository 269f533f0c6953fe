import { ErrorCodes } from '@meridian/contracts/core';
import { AuthErrors } from '@meridian/contracts/identity';
import { MissionErrors } from '@meridian/contracts/missions';
import { errorResponses, jsonSchema, registerOperation } from '@meridian/gateway/util-http';
import { bodyErrors, etagHeader, ifMatchHeader, missionIdPath } from '../mission-openapi';
import { MissionEventBody } from './send-mission-event.controller';

const MISSION_ID = '01936d3e-8c1a-7b2e-9f00-5a1c2b3d4e5f';

registerOperation('/v1/missions/{id}/events/{event}', 'post', () => ({
  summary: "Send an event to a mission's state machine",
  description:
    "As the calling principal: the transition's own permission (its `meta.permission` in the mission's " +
    'definition version, docs/missions.md) must be granted, its guards must pass (separation of duties: the ' +
    'approver is not the creator; data guards) and the state must accept the event. ' +
    '`assign` takes `assetIds` and answers 202 with the saga reserving them; its outcome arrives as ' +
    '`mission.assignment-changed` events (and in the mission). `reject` and `cancel` take a `reason`. ' +
    'The body is optional (no body, no Content-Type).',
  operationId: 'sendMissionEvent',
  parameters: [
    missionIdPath,
    {
      name: 'event',
      in: 'path',
      required: true,
      description: "An event of the mission's definition version",
      schema: { type: 'string', pattern: '^[a-z][a-z0-9_]{0,39}$', example: 'approve' },
    },
    ifMatchHeader,
  ],
  requestBody: {
    required: false,
    content: {
      'application/json': {
        schema: jsonSchema(MissionEventBody),
        examples: {
          assign: { value: { assetIds: ['0193a0c4-1f2e-7c3d-8e4f-5a6b7c8d9e0f'] } },
          cancel: { value: { reason: 'Bridge closed by the city' } },
        },
      },
    },
  },
  responses: {
    '200': {
      description: 'The mission moved; `version` is its new version, also in `ETag`.',
      headers: etagHeader,
      content: {
        'application/json': {
          schema: { $ref: '#/components/schemas/CommandAccepted' },
          example: { id: MISSION_ID, version: 4 },
        },
      },
    },
    '202': {
      description:
        'An assignment started (`sagaId`: the saga reserving the assets; its outcome comes as events), or, with ' +
        '`status: pending`, workflow did not answer within the timeout (it may still apply the event).',
      headers: etagHeader,
      content: {
        'application/json': {
          schema: {
            oneOf: [
              {
                type: 'object',
                required: ['id', 'version', 'sagaId'],
                properties: {
                  id: { type: 'string', format: 'uuid' },
                  version: { type: 'integer' },
                  sagaId: { type: 'string', format: 'uuid' },
                },
              },
              { $ref: '#/components/schemas/CommandPending' },
            ],
          },
          example: { id: MISSION_ID, version: 5, sagaId: '0193a0c5-2a3b-7c4d-9e5f-6a7b8c9d0e1f' },
        },
      },
    },
    ...errorResponses(
      ...bodyErrors,
      MissionErrors.missionEventUnknown,
      MissionErrors.missionNotFound,
      MissionErrors.missionEventNotAllowed,
      MissionErrors.missionGuardFailed,
      MissionErrors.missionSeparationOfDuties,
      MissionErrors.missionAssignmentPending,
      AuthErrors.outsideRegion,
      ErrorCodes.requestPreconditionFailed,
    ),
  },
}));
