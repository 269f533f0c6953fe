import { ErrorCodes } from '@meridian/contracts/core';
import { errorResponses, pageParameters, registerOperation } from '@meridian/gateway/util-http';
import { historyEntryRef, listOf, missionIdPath, notFound } from '../mission-openapi';

registerOperation('/v1/missions/{id}/history', 'get', () => ({
  summary: "A mission's history: who did what, when",
  operationId: 'getMissionHistory',
  parameters: [missionIdPath, ...pageParameters],
  responses: {
    '200': {
      description:
        'One entry per mission version, oldest first: created, transitioned (by a person, its timer, a geofence ' +
        'or its saga) or assignment-changed; `links` has `next` while more follow.',
      content: {
        'application/json': {
          schema: listOf('entries', historyEntryRef),
          example: {
            entries: [
              {
                version: 2,
                kind: 'transitioned',
                event: 'submit',
                from: 'draft',
                to: 'submitted',
                actor: 'dispatcher-7',
                cause: 'user',
                reason: null,
                assetIds: [],
                at: '2026-11-30T14:05:00Z',
              },
            ],
            numberReturned: 1,
            links: [{ rel: 'self', type: 'application/json', href: 'https://meridian.example/v1/missions/…/history' }],
          },
        },
      },
    },
    ...errorResponses(...notFound, ErrorCodes.cursorInvalid),
  },
}));
