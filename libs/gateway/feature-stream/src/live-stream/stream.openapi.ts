import { ErrorCodes } from '@meridian/contracts/core';
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

registerOperation('/v1/stream', 'get', () => ({
  summary: 'Live positions and geofence events (Server-Sent Events)',
  operationId: 'streamEvents',
  description: [
    "A `text/event-stream` of the tenant's events whose point lies in `bbox` (edges included), read",
    'with `fetch` so the bearer token travels in `Authorization`, never in the URL (docs/stream.md).',
    'Each event has `id:` (a Redis stream entry id, `<ms>-<seq>`, the same on every gateway instance),',
    '`event:` and one JSON `data:` line:',
    '`position` (`assetId`, `ts`, `lon`, `lat`, `speed`?, `heading`?; at most one per asset per',
    '`GATEWAY_STREAM_POSITION_INTERVAL_MS`, the newest wins), `geofence.entered` and `geofence.exited`',
    '(the event of `meridian.projection.geofence.*.v1`). Control events carry no `id:`:',
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
      description: 'Comma-separated subset of `position`, `geofence`; absent: both.',
      schema: { type: 'string', default: 'position,geofence' },
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
