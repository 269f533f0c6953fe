import { ErrorCodes } from '@meridian/contracts/core';
import { assignmentOutcomes, missionCauses } from '@meridian/contracts/missions';
import { errorResponses, registerOperation } from '@meridian/gateway/util-http';

const point = { lon: { type: 'number' }, lat: { type: 'number' } };
const geofence = {
  type: 'object',
  required: ['tenantId', 'assetId', 'zoneId', 'ts', 'lon', 'lat', 'cause'],
  properties: {
    tenantId: { type: 'string' },
    assetId: { type: 'string', format: 'uuid' },
    zoneId: { type: 'string', format: 'uuid' },
    ts: { type: 'string', format: 'date-time' },
    ...point,
    cause: { enum: ['fix', 'zone-created', 'zone-replaced', 'zone-archived', 'validity'] },
  },
};

/** The fields every mission event has; `more` and `required` add an event's own. */
const mission = (more: Record<string, unknown>, required: readonly string[]) => ({
  type: 'object',
  required: ['missionId', 'tenantId', 'version', 'actor', 'at', 'area', ...required],
  properties: {
    missionId: { type: 'string', format: 'uuid' },
    tenantId: { type: 'string' },
    version: { type: 'integer' },
    actor: { type: 'string' },
    at: { type: 'string', format: 'date-time' },
    area: {
      description: "The mission's area (GeoJSON Polygon); null when this gateway does not know it (docs/stream.md)",
      oneOf: [{ type: 'object' }, { type: 'null' }],
    },
    ...more,
  },
});

/** The mission's state after a created or transitioned event. */
const state = {
  state: { type: 'string' },
  done: { type: 'boolean' },
  assetIds: { type: 'array', items: { type: 'string', format: 'uuid' } },
  transitions: { type: 'array', items: { type: 'object' } },
};
const stateRequired = ['state', 'done', 'assetIds', 'transitions'];

registerOperation('/v1/stream', 'get', () => ({
  summary: 'Live positions, geofence and mission events (Server-Sent Events)',
  operationId: 'streamEvents',
  description: [
    "A `text/event-stream` of the tenant's events whose point lies in `bbox` (edges included), read",
    'with `fetch` so the bearer token travels in `Authorization`, never in the URL (docs/stream.md).',
    'Each event has `id:` (a Redis stream entry id, `<ms>-<seq>`, the same on every gateway instance),',
    '`event:` and one JSON `data:` line:',
    '`position` (`assetId`, `ts`, `lon`, `lat`, `speed`?, `heading`?; at most one per asset per',
    '`GATEWAY_STREAM_POSITION_INTERVAL_MS`, the newest wins), `geofence.entered` and `geofence.exited`',
    '(the event of `meridian.projection.geofence.*.v1`), `mission.created`, `mission.transitioned` and',
    '`mission.assignment-changed` (the events of `meridian.workflow.mission.*.v1` with the mission `area`;',
    'they need `missions:read`, and a region-restricted principal sees those whose area meets its region).',
    'Control events carry no `id:`:',
    '`gap` (events after `Last-Event-ID` were trimmed: older than `GATEWAY_STREAM_RETENTION_MS`),',
    '`dropped` (the client read too slowly: more than `GATEWAY_STREAM_CLIENT_BUFFER_BYTES` unread; the',
    'response ends) and `unavailable` (Redis went away; the response ends). Reconnect with',
    '`Last-Event-ID` to resume. Comments (`: ping`) keep the connection alive.',
  ].join(' '),
  parameters: [
    {
      name: 'bbox',
      in: 'query',
      required: false,
      description: 'minLon,minLat,maxLon,maxLat (WGS 84); absent: everywhere. Antimeridian-crossing boxes are refused.',
      schema: { type: 'string', example: '13.0,52.3,13.8,52.7' },
    },
    {
      name: 'types',
      in: 'query',
      required: false,
      description: 'Comma-separated subset of `position`, `geofence`, `mission`; absent: all three.',
      schema: { type: 'string', default: 'position,geofence,mission' },
    },
    {
      name: 'Last-Event-ID',
      in: 'header',
      required: false,
      description: 'The `id:` of the last event received: the stream resumes after it (within the retention window).',
      schema: { type: 'string', pattern: '^\\d+-\\d+$' },
    },
  ],
  responses: {
    '200': {
      description: 'The event stream; it ends only with `dropped`, `unavailable` or when the client leaves.',
      content: {
        'text/event-stream': {
          schema: { type: 'string' },
          example: 'id: 1718000000000-0\nevent: position\ndata: {"assetId":"…","ts":"…","lon":13.4,"lat":52.5}\n\n',
        },
      },
      'x-events': {
        position: {
          type: 'object',
          required: ['assetId', 'ts', 'lon', 'lat'],
          properties: {
            assetId: { type: 'string', format: 'uuid' },
            ts: { type: 'string', format: 'date-time' },
            ...point,
            speed: { type: 'number' },
            heading: { type: 'number' },
          },
        },
        'geofence.entered': geofence,
        'geofence.exited': geofence,
        'mission.created': mission(
          {
            ...state,
            title: { type: 'string' },
            definition: { type: 'object' },
            window: { type: 'object' },
            priority: { type: 'integer' },
            deadline: { type: 'string', format: 'date-time' },
            createdBy: { type: 'string' },
          },
          [...stateRequired, 'title', 'definition', 'window', 'priority', 'deadline', 'createdBy'],
        ),
        'mission.transitioned': mission(
          {
            ...state,
            from: { type: 'string' },
            event: { type: 'string' },
            cause: { enum: [...missionCauses] },
            reason: { type: ['string', 'null'] },
          },
          [...stateRequired, 'from', 'event', 'cause'],
        ),
        'mission.assignment-changed': mission(
          {
            sagaId: { type: 'string', format: 'uuid' },
            outcome: { enum: [...assignmentOutcomes] },
            requestedAssetIds: { type: 'array', items: { type: 'string', format: 'uuid' } },
            reason: { type: ['string', 'null'] },
          },
          ['sagaId', 'outcome', 'requestedAssetIds'],
        ),
        gap: { type: 'object', properties: { lastEventId: { type: 'string' }, retentionMs: { type: 'integer' } } },
        dropped: {
          type: 'object',
          properties: { reason: { enum: ['slow-client', 'backlog'] }, lastEventId: { type: ['string', 'null'] } },
        },
        unavailable: { type: 'object', properties: { code: { type: 'string' }, detail: { type: 'string' } } },
      },
    },
    ...errorResponses(ErrorCodes.requestInvalid, ErrorCodes.bboxInvalid),
  },
}));
