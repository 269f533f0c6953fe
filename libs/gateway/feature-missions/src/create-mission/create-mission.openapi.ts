import { ErrorCodes } from '@meridian/contracts/core';
import { AuthErrors } from '@meridian/contracts/identity';
import { MissionErrors } from '@meridian/contracts/missions';
import { errorResponses, jsonSchema, registerOperation } from '@meridian/gateway/util-http';
import { AREA_EXAMPLE, bodyErrors, etagHeader, idempotencyKeyHeader, pendingResponse } from '../mission-openapi';
import { CreateMissionBody } from './create-mission.controller';

registerOperation('/v1/missions', 'post', () => ({
  summary: 'Create a mission',
  description:
    'On the latest version of a workflow definition (`definition`, default `default`), in its initial state. ' +
    'The `area` (a GeoJSON Polygon, checked like a zone geometry) becomes a zone of kind `mission_area` with the ' +
    "mission's id; `window` is `[start, end)` (end after start); `priority` 1–5 (default 3). A region-restricted " +
    'principal may only create missions whose area meets its region.',
  operationId: 'createMission',
  parameters: [idempotencyKeyHeader('the mission id derives from it')],
  requestBody: {
    required: true,
    content: {
      'application/json': {
        schema: jsonSchema(CreateMissionBody),
        example: {
          title: 'Inspect the Limmat bridges',
          area: AREA_EXAMPLE,
          window: { start: '2026-12-01T08:00:00Z', end: '2026-12-01T12:00:00Z' },
          priority: 2,
        },
      },
    },
  },
  responses: {
    '201': {
      description: 'Created; `version` is the mission version, also in `ETag`; `Location` is the mission.',
      headers: { ...etagHeader, Location: { schema: { type: 'string' } } },
      content: {
        'application/json': {
          schema: { $ref: '#/components/schemas/CommandAccepted' },
          example: { id: '01936d3e-8c1a-7b2e-9f00-5a1c2b3d4e5f', version: 1 },
        },
      },
    },
    '202': pendingResponse,
    ...errorResponses(
      ...bodyErrors,
      MissionErrors.missionWindowInvalid,
      MissionErrors.missionAreaInvalid,
      MissionErrors.definitionUnknown,
      MissionErrors.missionAlreadyExists,
      AuthErrors.outsideRegion,
      ErrorCodes.idempotencyKeyInvalid,
      ErrorCodes.idempotencyInProgress,
      ErrorCodes.idempotencyKeyReused,
    ),
  },
}));
