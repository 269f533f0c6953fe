import { z } from 'zod';
import { Bbox, defineMessage, PageLimit, pageOf } from '@meridian/contracts/core';

const Instant = z.iso.datetime({ offset: true });

export const ExportId = z.uuid();
export const exportKinds = ['positions', 'visits', 'missions'] as const;
export const ExportKind = z.enum(exportKinds);
export type ExportKind = z.infer<typeof ExportKind>;
export const exportFormats = ['geojson', 'ndjson', 'csv'] as const;
export const ExportFormat = z.enum(exportFormats);
export type ExportFormat = z.infer<typeof ExportFormat>;
export const exportStates = ['queued', 'running', 'succeeded', 'failed', 'expired'] as const;
export const ExportState = z.enum(exportStates);
export type ExportState = z.infer<typeof ExportState>;

export const EXPORT_ASSET_IDS_MAX = 1000;
/** The longest window one export may cover. */
export const EXPORT_WINDOW_MAX_DAYS = 31;

/** What an export selects: rows of `kind` in `[from, to)`, optionally inside `bbox` or a zone, of some assets. */
export const ExportFilter = z.strictObject({
  kind: ExportKind,
  bbox: Bbox.optional(),
  zoneId: z.uuid().optional(),
  assetIds: z.array(z.uuid()).min(1).max(EXPORT_ASSET_IDS_MAX).optional(),
  from: Instant,
  to: Instant,
  format: ExportFormat,
});
export type ExportFilter = z.infer<typeof ExportFilter>;

/** Requests: gateway → geo-query (`meridian.geo-query.requests`), answered with a query reply. */
export const StartExportV1 = defineMessage(
  'meridian.geo-query.export.start.v1',
  'command',
  z.strictObject({ exportId: ExportId, filter: ExportFilter }),
  'Record an export job for the calling principal (whose permissions filter the rows) and queue it; replies the job.',
);

export const GetExportV1 = defineMessage(
  'meridian.geo-query.export.get.v1',
  'query',
  z.strictObject({ exportId: ExportId }),
  'One export job of the calling principal, with its progress and, once done, its file.',
);

export const ListExportsV1 = defineMessage(
  'meridian.geo-query.exports.list.v1',
  'query',
  z.strictObject({ limit: PageLimit, after: ExportId.optional() }),
  "The calling principal's export jobs, newest first.",
);

export const ExportFile = z.object({
  /** Where the storage port keeps it; the gateway streams it from there. */
  key: z.string(),
  /** The name offered in `Content-Disposition`. */
  name: z.string(),
  contentType: z.string(),
  bytes: z.number().int().nonnegative(),
});
export type ExportFile = z.infer<typeof ExportFile>;

export const ExportJob = z.object({
  id: ExportId,
  state: ExportState,
  filter: ExportFilter,
  requestedBy: z.string(),
  rowsWritten: z.number().int().nonnegative(),
  /** The rows the job expects to write (counted before it starts); null until counted. */
  rowsExpected: z.number().int().nonnegative().nullable(),
  /** 0–100; 100 once succeeded. */
  percent: z.number().min(0).max(100),
  error: z.object({ code: z.string(), detail: z.string() }).nullable(),
  createdAt: Instant,
  startedAt: Instant.nullable(),
  finishedAt: Instant.nullable(),
  /** When the file is deleted (succeeded jobs only). */
  expiresAt: Instant.nullable(),
  file: ExportFile.nullable(),
});
export type ExportJob = z.infer<typeof ExportJob>;
export const ExportJobPage = pageOf(ExportJob);
