import { ErrorCodes } from '@meridian/contracts/core';
import { ZoneErrors } from '@meridian/contracts/zones';
import { errorResponses, registerOperation } from '@meridian/gateway/util-http';
import { ifMatchHeader, zoneIdPath } from '../zone-openapi';

registerOperation('/v1/zones/{id}', 'delete', () => ({
  summary: 'Archive a zone',
  description:
    'It stops counting for geofencing (assets inside exit) and leaves lists; it still reads by id, with ' +
    '`archivedAt`. Archiving again is answered 204 too.',
  operationId: 'archiveZone',
  parameters: [zoneIdPath, ifMatchHeader],
  responses: {
    '204': { description: 'Archived.' },
    '202': {
      description: 'Sent, but workflow did not answer within the timeout; it may still be applied.',
      content: { 'application/json': { schema: { $ref: '#/components/schemas/CommandPending' } } },
    },
    ...errorResponses(ZoneErrors.zoneNotFound, ZoneErrors.zoneKindReserved, ErrorCodes.requestPreconditionFailed),
  },
}));
