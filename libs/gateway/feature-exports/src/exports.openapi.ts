import { ErrorCodes } from '@meridian/contracts/core';
import { ExportErrors, ExportJob } from '@meridian/contracts/exports';
import {
  errorResponses,
  type Json,
  jsonSchema,
  pageParameters,
  registerOperation,
  registerSchema,
} from '@meridian/gateway/util-http';
import { StartExportBody } from './exports.controller';

registerSchema('Export', () => {
  const job = jsonSchema(ExportJob.omit({ file: true }));
  const properties = (job['properties'] ?? {}) as Json;
  const required = (job['required'] ?? []) as string[];
  return {
    ...job,
    required: [...required, 'download'],
    properties: {
      ...properties,
      download: {
        description: 'Once succeeded (and until it expires): where to download the file.',
        anyOf: [
          {
            type: 'object',
            required: ['href', 'name', 'contentType', 'bytes'],
            properties: {
              href: { type: 'string' },
              name: { type: 'string' },
              contentType: { type: 'string' },
              bytes: { type: 'integer', description: 'Size as stored (gzip-compressed)' },
            },
          },
          { type: 'null' },
        ],
      },
    },
  };
});

const exportRef: Json = { $ref: '#/components/schemas/Export' };
const ID = '01936d3e-8c1a-7b2e-9f00-5a1c2b3d4e5f';
const FILTER = {
  kind: 'positions',
  bbox: [8.4, 47.3, 8.7, 47.5],
  from: '2026-11-23T00:00:00Z',
  to: '2026-11-30T00:00:00Z',
  format: 'csv',
};
const EXAMPLE = {
  id: ID,
  state: 'succeeded',
  filter: FILTER,
  requestedBy: 'analyst-3',
  rowsWritten: 1000000,
  rowsExpected: 1000000,
  percent: 100,
  error: null,
  createdAt: '2026-11-30T09:00:00Z',
  startedAt: '2026-11-30T09:00:01Z',
  finishedAt: '2026-11-30T09:00:09Z',
  expiresAt: '2026-12-01T09:00:09Z',
  download: {
    href: `https://meridian.example/v1/exports/${ID}/download`,
    name: `meridian-positions-${ID}.csv`,
    contentType: 'text/csv; charset=utf-8',
    bytes: 18734112,
  },
};
const idPath: Json = {
  name: 'id',
  in: 'path',
  required: true,
  schema: { type: 'string', format: 'uuid' },
  example: ID,
};
const TAGS = ['exports'];
const notFound = [ExportErrors.exportNotFound, ErrorCodes.requestInvalid, ErrorCodes.upstreamTimeout];

registerOperation('/v1/exports', 'post', () => ({
  summary: 'Start an export',
  description:
    'Positions, zone visits or missions in `[from, to)` (at most 31 days), optionally inside `bbox` or a zone ' +
    '(`zoneId`, not both) and of some assets, as GeoJSON, NDJSON (one Feature per line) or CSV. The job runs in the ' +
    'background; the rows are filtered by your permissions as any query is (a region-restricted user exports only ' +
    'their region). Needs `positions:read` (`missions:read` for missions). Files expire after `EXPORTS_TTL_HOURS`.',
  operationId: 'startExport',
  tags: TAGS,
  parameters: [
    {
      name: 'Idempotency-Key',
      in: 'header',
      required: false,
      description: 'Repeats with the same key and body get the same job.',
      schema: { type: 'string', pattern: '^[A-Za-z0-9_.:-]{1,200}$' },
    },
  ],
  requestBody: {
    required: true,
    content: { 'application/json': { schema: jsonSchema(StartExportBody), example: FILTER } },
  },
  responses: {
    '202': {
      description: 'Queued; `Location` is the job, to poll for progress.',
      headers: { Location: { schema: { type: 'string' } } },
      content: {
        'application/json': {
          schema: exportRef,
          example: { ...EXAMPLE, state: 'queued', rowsWritten: 0, rowsExpected: null, percent: 0, download: null },
        },
      },
    },
    ...errorResponses(
      ErrorCodes.requestMalformedJson,
      ErrorCodes.requestTooLarge,
      ErrorCodes.requestUnsupportedMediaType,
      ErrorCodes.idempotencyKeyInvalid,
      ErrorCodes.idempotencyKeyReused,
      ExportErrors.exportFilterInvalid,
      ExportErrors.exportLimitReached,
      ErrorCodes.upstreamTimeout,
    ),
  },
}));

registerOperation('/v1/exports', 'get', () => ({
  summary: 'Your exports, newest first',
  operationId: 'listExports',
  tags: TAGS,
  parameters: [...pageParameters],
  responses: {
    '200': {
      description: 'Export jobs; `links` has `next` while more match.',
      content: {
        'application/json': {
          schema: {
            type: 'object',
            required: ['exports', 'numberReturned', 'links'],
            properties: {
              exports: { type: 'array', items: exportRef },
              numberReturned: { type: 'integer' },
              links: { type: 'array', items: { $ref: '#/components/schemas/Link' } },
            },
          },
          example: { exports: [EXAMPLE], numberReturned: 1, links: [] },
        },
      },
    },
    ...errorResponses(ErrorCodes.cursorInvalid, ErrorCodes.upstreamTimeout),
  },
}));

registerOperation('/v1/exports/{id}', 'get', () => ({
  summary: 'An export: state, progress and download link',
  description: '`rowsWritten` and `percent` move while it runs; `download` appears when it succeeded.',
  operationId: 'getExport',
  tags: TAGS,
  parameters: [idPath],
  responses: {
    '200': { description: 'The job.', content: { 'application/json': { schema: exportRef, example: EXAMPLE } } },
    ...errorResponses(...notFound),
  },
}));

registerOperation('/v1/exports/{id}/download', 'get', () => ({
  summary: "Download an export's file",
  description:
    'Streamed, with `Content-Disposition: attachment`. Files are stored gzip-compressed: with ' +
    '`Accept-Encoding: gzip` they are sent as stored (`Content-Encoding: gzip`, `Content-Length`), otherwise ' +
    'decompressed on the way.',
  operationId: 'downloadExport',
  tags: TAGS,
  parameters: [idPath],
  responses: {
    '200': {
      description: 'The file.',
      headers: { 'Content-Disposition': { schema: { type: 'string' } } },
      content: {
        'text/csv': { schema: { type: 'string' } },
        'application/x-ndjson': { schema: { type: 'string' } },
        'application/geo+json': { schema: { type: 'object' } },
      },
    },
    ...errorResponses(...notFound, ExportErrors.exportNotReady, ExportErrors.exportExpired),
  },
}));
