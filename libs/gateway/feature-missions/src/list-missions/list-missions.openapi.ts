import { ErrorCodes } from '@meridian/contracts/core';
import { errorResponses, pageParameters, registerOperation } from '@meridian/gateway/util-http';
import { listOf, MISSION_EXAMPLE, missionRef } from '../mission-openapi';

registerOperation('/v1/missions', 'get', () => ({
  summary: 'Missions by state, area and window, one page at a time',
  operationId: 'listMissions',
  parameters: [
    {
      name: 'state',
      in: 'query',
      required: false,
      schema: { type: 'string', pattern: '^[a-z][a-z0-9_]{0,39}$', example: 'approved' },
      description: 'Only missions in this state',
    },
    {
      name: 'bbox',
      in: 'query',
      required: false,
      schema: { type: 'string', example: '8.4,47.3,8.7,47.5' },
      description: 'minLon,minLat,maxLon,maxLat (WGS 84): missions whose area intersects it',
    },
    ...['from', 'to'].map((name) => ({
      name,
      in: 'query',
      required: false,
      description:
        `${name === 'from' ? 'Start' : 'End'} of the half-open window [from, to), RFC 3339 with an offset: ` +
        'missions whose window overlaps it (from before to)',
      schema: { type: 'string', format: 'date-time', example: '2026-12-01T00:00:00Z' },
    })),
    ...pageParameters,
  ],
  responses: {
    '200': {
      description: 'Missions in id order; `links` has `next` while more match.',
      content: {
        'application/json': {
          schema: listOf('missions', missionRef),
          example: {
            missions: [MISSION_EXAMPLE],
            numberReturned: 1,
            links: [
              { rel: 'self', type: 'application/json', href: 'https://meridian.example/v1/missions?limit=1' },
              { rel: 'next', type: 'application/json', href: 'https://meridian.example/v1/missions?limit=1&cursor=…' },
            ],
          },
        },
      },
    },
    ...errorResponses(ErrorCodes.bboxInvalid, ErrorCodes.cursorInvalid, ErrorCodes.upstreamTimeout),
  },
}));
