import { ErrorCodes } from '@meridian/contracts/core';
import { ZoneErrors } from '@meridian/contracts/zones';
import { errorResponses, jsonSchema, registerOperation } from '@meridian/gateway/util-http';
import { ZoneContentBody } from '../zone-commands';
import { ifMatchHeader, zoneCommandErrors, zoneIdPath } from '../zone-openapi';

registerOperation('/v1/zones/{id}', 'put', () => ({
  summary: "Replace a zone's name, geometry, validity and sensitivity",
  description: 'The kind stays what the zone was created as. Assets the change moves in or out enter or exit.',
  operationId: 'replaceZone',
  parameters: [zoneIdPath, ifMatchHeader],
  requestBody: { required: true, content: { 'application/json': { schema: jsonSchema(ZoneContentBody) } } },
  responses: {
    '200': {
      description: 'Replaced (or already so); `version` is the zone stream version, also in `ETag`.',
      content: { 'application/json': { schema: { $ref: '#/components/schemas/CommandAccepted' } } },
    },
    '202': {
      description: 'Sent, but workflow did not answer within the timeout; it may still be applied.',
      content: { 'application/json': { schema: { $ref: '#/components/schemas/CommandPending' } } },
    },
    ...errorResponses(
      ...zoneCommandErrors,
      ZoneErrors.zoneNotFound,
      ZoneErrors.zoneArchived,
      ZoneErrors.zoneKindReserved,
      ErrorCodes.requestPreconditionFailed,
    ),
  },
}));
