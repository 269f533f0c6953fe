import { errorResponses, registerOperation } from '@meridian/gateway/util-http';
import { etagHeader, MISSION_EXAMPLE, missionIdPath, missionRef, notFound } from '../mission-openapi';

registerOperation('/v1/missions/{id}', 'get', () => ({
  summary: 'One mission',
  description:
    'Its state, version, definition version, assets, area, window, assignment, and `allowedEvents`: the events ' +
    "the caller may send it now (the state accepts them, the caller's roles grant their permission and the " +
    'separation of duties holds; data guards are judged when the event is sent).',
  operationId: 'getMission',
  parameters: [missionIdPath],
  responses: {
    '200': {
      description: 'The mission; `ETag: "<version>"` for `If-Match`.',
      headers: etagHeader,
      content: { 'application/json': { schema: missionRef, example: MISSION_EXAMPLE } },
    },
    ...errorResponses(...notFound),
  },
}));
