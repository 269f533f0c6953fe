import { ErrorCodes } from '@meridian/contracts/core';
import { Mission, MissionErrors, MissionHistoryEntry } from '@meridian/contracts/missions';
import { type Json, jsonSchema, registerSchema } from '@meridian/gateway/util-http';

/** Shared pieces of the mission operations' OpenAPI entries. */
export const missionIdPath: Json = {
  name: 'id',
  in: 'path',
  required: true,
  schema: { type: 'string', format: 'uuid' },
  example: '01936d3e-8c1a-7b2e-9f00-5a1c2b3d4e5f',
};

export const idempotencyKeyHeader = (what: string): Json => ({
  name: 'Idempotency-Key',
  in: 'header',
  required: false,
  description: `Repeats with the same key and body get the first answer (kept 24 h); ${what}.`,
  schema: { type: 'string', pattern: '^[A-Za-z0-9_.:-]{1,200}$', example: 'mission-2026-11-30-001' },
});

export const ifMatchHeader: Json = {
  name: 'If-Match',
  in: 'header',
  required: false,
  description:
    'The mission version you read (its `ETag`, e.g. `"3"`); another version → 412. Without it: unconditional.',
  schema: { type: 'string', example: '"3"' },
};

export const etagHeader: Json = {
  ETag: { description: 'The mission version, `"<version>"`.', schema: { type: 'string' } },
};

export const pendingResponse: Json = {
  description: 'Sent, but workflow did not answer within the timeout; it may still be applied.',
  content: { 'application/json': { schema: { $ref: '#/components/schemas/CommandPending' } } },
};

export const AREA_EXAMPLE = {
  type: 'Polygon',
  coordinates: [
    [
      [8.5, 47.35],
      [8.56, 47.35],
      [8.56, 47.4],
      [8.5, 47.4],
      [8.5, 47.35],
    ],
  ],
};

export const MISSION_EXAMPLE = {
  id: '01936d3e-8c1a-7b2e-9f00-5a1c2b3d4e5f',
  title: 'Inspect the Limmat bridges',
  state: 'approved',
  done: false,
  version: 3,
  definition: { key: 'default', version: 1 },
  priority: 2,
  area: AREA_EXAMPLE,
  window: { start: '2026-12-01T08:00:00Z', end: '2026-12-01T12:00:00Z' },
  deadline: '2026-12-01T08:15:00Z',
  assetIds: [],
  assignment: null,
  createdBy: 'dispatcher-7',
  createdAt: '2026-11-30T14:02:00Z',
  updatedAt: '2026-11-30T15:10:00Z',
  allowedEvents: ['assign', 'cancel'],
};

registerSchema('Mission', () => jsonSchema(Mission));
registerSchema('MissionHistoryEntry', () => jsonSchema(MissionHistoryEntry));

export const missionRef: Json = { $ref: '#/components/schemas/Mission' };
export const historyEntryRef: Json = { $ref: '#/components/schemas/MissionHistoryEntry' };

export const listOf = (field: string, items: Json): Json => ({
  type: 'object',
  required: [field, 'numberReturned', 'links'],
  properties: {
    [field]: { type: 'array', items },
    numberReturned: { type: 'integer' },
    links: { type: 'array', items: { $ref: '#/components/schemas/Link' } },
  },
});

/** Refusals of the body a mission command can earn before it reaches workflow. */
export const bodyErrors = [
  ErrorCodes.requestMalformedJson,
  ErrorCodes.requestTooLarge,
  ErrorCodes.requestUnsupportedMediaType,
];

/** Refusals of a mission that is not there (or not the caller's to see). */
export const notFound = [MissionErrors.missionNotFound, ErrorCodes.upstreamTimeout];
