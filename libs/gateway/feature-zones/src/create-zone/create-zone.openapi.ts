import { ErrorCodes } from '@meridian/contracts/core';
import { ZoneErrors } from '@meridian/contracts/zones';
import { errorResponses, jsonSchema, registerOperation } from '@meridian/gateway/util-http';
import { zoneCommandErrors } from '../zone-openapi';
import { CreateZoneBody } from '../zone-commands';

registerOperation('/v1/zones', 'post', () => ({
  summary: 'Create a zone',
  description:
    'A GeoJSON Polygon or MultiPolygon (lon/lat, WGS 84), checked before anything is written: closed rings of at ' +
    'least four positions, coordinates in range, no self-intersection, holes inside their shell, at most 10,000 ' +
    'positions (configurable). Rings are stored RFC 7946-wound. `validFrom`/`validTo` bound when it counts for ' +
    'geofencing; `sensitivity` 0–4 (default 0). Kind `mission_area` is reserved: such zones are made with their ' +
    'mission (POST /v1/missions).',
  operationId: 'createZone',
  parameters: [
    {
      name: 'Idempotency-Key',
      in: 'header',
      required: false,
      description: 'Repeats with the same key and body get the first answer (kept 24 h); the zone id derives from it.',
      schema: { type: 'string', pattern: '^[A-Za-z0-9_.:-]{1,200}$' },
    },
  ],
  requestBody: { required: true, content: { 'application/json': { schema: jsonSchema(CreateZoneBody) } } },
  responses: {
    '201': {
      description: 'Created; `version` is the zone stream version.',
      content: { 'application/json': { schema: { $ref: '#/components/schemas/CommandAccepted' } } },
    },
    '202': {
      description: 'Sent, but workflow did not answer within the timeout; it may still be applied.',
      content: { 'application/json': { schema: { $ref: '#/components/schemas/CommandPending' } } },
    },
    ...errorResponses(
      ...zoneCommandErrors,
      ZoneErrors.zoneAlreadyExists,
      ZoneErrors.zoneKindReserved,
      ErrorCodes.idempotencyKeyInvalid,
      ErrorCodes.idempotencyInProgress,
      ErrorCodes.idempotencyKeyReused,
    ),
  },
}));
