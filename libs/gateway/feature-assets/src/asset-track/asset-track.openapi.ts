import {
  AssetErrors,
  PositionQueryErrors,
  TRACK_GAP_DEFAULT_SECONDS,
  TRACK_MAX_VERTICES,
  TRACK_WINDOW_MAX_DAYS,
  TrackFeature,
} from '@meridian/contracts/assets';
import { ErrorCodes } from '@meridian/contracts/core';
import { errorResponses, jsonSchema, registerOperation } from '@meridian/gateway/util-http';
import { historyWindowParameters } from '../position-window.openapi';

registerOperation('/v1/assets/{id}/track', 'get', () => ({
  summary: 'The track of an asset between two instants',
  description:
    'A GeoJSON Feature: a LineString of the fixes in [from, to) in time order with `properties.times` (RFC 3339, ' +
    'one per vertex); a MultiLineString, `times` nested per line, when fixes are more than `gap` seconds apart. ' +
    'A lone fix between two gaps is a line of two equal vertices. `simplify` (metres) applies Douglas–Peucker ' +
    'in the UTM zone of the first fix and keeps each kept vertex its time. No fixes: `geometry` is null. At ' +
    `most ${TRACK_MAX_VERTICES.toLocaleString('en')} vertices (else 422: simplify more).`,
  operationId: 'assetTrack',
  parameters: [
    { name: 'id', in: 'path', required: true, schema: { type: 'string', format: 'uuid' } },
    ...historyWindowParameters(TRACK_WINDOW_MAX_DAYS),
    {
      name: 'simplify',
      in: 'query',
      required: false,
      schema: { type: 'number', minimum: 0, maximum: 100000, default: 0 },
      description: 'Simplification tolerance in metres; 0 keeps every fix.',
    },
    {
      name: 'gap',
      in: 'query',
      required: false,
      schema: { type: 'integer', minimum: 1, maximum: 604800, default: TRACK_GAP_DEFAULT_SECONDS },
      description: 'Seconds between two fixes past which the track is split.',
    },
  ],
  responses: {
    '200': {
      description: 'GeoJSON Feature.',
      content: { 'application/geo+json': { schema: jsonSchema(TrackFeature) } },
    },
    ...errorResponses(
      ErrorCodes.requestInvalid,
      PositionQueryErrors.windowTooLong,
      AssetErrors.assetNotFound,
      PositionQueryErrors.trackTooManyVertices,
      ErrorCodes.upstreamTimeout,
    ),
  },
}));
