import { HeatCell, HEATMAP_MAX_CELLS, HEATMAP_WINDOW_MAX_DAYS, PositionQueryErrors } from '@meridian/contracts/assets';
import { ErrorCodes } from '@meridian/contracts/core';
import { errorResponses, jsonSchema, registerOperation } from '@meridian/gateway/util-http';
import { historyWindowParameters } from '../position-window.openapi';

registerOperation('/v1/heatmap', 'get', () => ({
  summary: 'Fix counts per H3 cell over a window',
  description:
    'Cells whose centre lies in `bbox`, each a hexagon Feature with `properties.cell` (H3 index) and ' +
    '`properties.count`. Resolutions up to the finest one counted at ingest (`H3_RESOLUTIONS`, default 5 and ' +
    '7) sum hourly counts: the window counted is widened to whole hours and reported in `timeWindow` ' +
    '(`source: rollup`). Finer resolutions count the fixes themselves over the exact window (`source: fixes`), ' +
    `up to a limit (422 HEATMAP.TOO_MANY_FIXES). At most ${HEATMAP_MAX_CELLS.toLocaleString('en')} cells.`,
  operationId: 'heatmap',
  parameters: [
    {
      name: 'bbox',
      in: 'query',
      required: true,
      schema: { type: 'string', example: '5.9,45.8,10.5,47.8' },
      description: 'minLon,minLat,maxLon,maxLat (WGS 84; minLon ≤ maxLon).',
    },
    ...historyWindowParameters(HEATMAP_WINDOW_MAX_DAYS),
    {
      name: 'resolution',
      in: 'query',
      required: false,
      schema: { type: 'integer', minimum: 0, maximum: 15, default: 7 },
      description: 'H3 resolution of the cells.',
    },
  ],
  responses: {
    '200': {
      description: 'GeoJSON FeatureCollection of cells in H3 index order.',
      content: {
        'application/geo+json': {
          schema: {
            type: 'object',
            required: ['type', 'features', 'numberReturned', 'resolution', 'source', 'timeWindow'],
            properties: {
              type: { const: 'FeatureCollection' },
              features: { type: 'array', items: jsonSchema(HeatCell) },
              numberReturned: { type: 'integer' },
              resolution: { type: 'integer' },
              source: { enum: ['rollup', 'fixes'] },
              timeWindow: {
                type: 'object',
                properties: {
                  from: { type: 'string', format: 'date-time' },
                  to: { type: 'string', format: 'date-time' },
                },
              },
            },
          },
        },
      },
    },
    ...errorResponses(
      ErrorCodes.requestInvalid,
      ErrorCodes.bboxInvalid,
      PositionQueryErrors.windowTooLong,
      PositionQueryErrors.heatmapTooManyCells,
      PositionQueryErrors.heatmapTooManyFixes,
      ErrorCodes.upstreamTimeout,
    ),
  },
}));
