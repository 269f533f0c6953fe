import { registerOperation } from '@meridian/gateway/util-http';

registerOperation('/internal/refusals', 'get', () => ({
  summary: 'Refused requests of this gateway since it started, per code (operators; needs audit:read)',
  operationId: 'getRefusals',
  tags: ['operator'],
  responses: {
    '200': {
      description:
        '`{since, total, byCode}`: counts of 401 (AUTH.TOKEN_*), 403 (AUTH.FORBIDDEN_*, AUTH.CLEARANCE, …) and 429 ' +
        '(RATE.LIMITED) answers, and of commands a service refused with an AUTH.* code. Each is also logged.',
      content: {
        'application/json': {
          schema: {
            type: 'object',
            required: ['since', 'total', 'byCode'],
            properties: {
              since: { type: 'string', format: 'date-time' },
              total: { type: 'integer' },
              byCode: { type: 'object', additionalProperties: { type: 'integer' } },
            },
          },
        },
      },
    },
  },
}));
