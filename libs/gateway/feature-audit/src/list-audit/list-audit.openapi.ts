import { AuditEntry } from '@meridian/contracts/audit';
import { ErrorCodes } from '@meridian/contracts/core';
import { errorResponses, jsonSchema, pageParameters, registerOperation } from '@meridian/gateway/util-http';

const text = (name: string, description: string) => ({
  name,
  in: 'query',
  required: false,
  description,
  schema: { type: 'string' },
});

registerOperation('/v1/audit', 'get', () => ({
  summary: 'The audit trail',
  operationId: 'listAudit',
  description:
    'Every accepted command (as the event it recorded) and every permission change of your tenant, oldest first. ' +
    'Needs `audit:read` (role admin). Refused attempts are not events: they are logged and counted by the gateway.',
  parameters: [
    { ...text('from', 'Start of the half-open window [from, to), RFC 3339 with an offset'), format: 'date-time' },
    { ...text('to', 'End of the half-open window [from, to), RFC 3339 with an offset'), format: 'date-time' },
    text('actor', "Only what this subject did (a user id or a service account's client id)"),
    text('resource', 'Only what happened to this resource (an asset, zone, user or service account id)'),
    ...pageParameters,
  ],
  responses: {
    '200': {
      description: 'One page of audit entries.',
      content: {
        'application/json': {
          schema: {
            type: 'object',
            required: ['entries', 'numberReturned', 'links'],
            properties: {
              entries: { type: 'array', items: jsonSchema(AuditEntry) },
              numberReturned: { type: 'integer' },
              links: { type: 'array', items: { $ref: '#/components/schemas/Link' } },
            },
          },
        },
      },
    },
    ...errorResponses(ErrorCodes.requestInvalid, ErrorCodes.cursorInvalid, ErrorCodes.upstreamTimeout),
  },
}));
