import { StringDecoder } from 'node:string_decoder';
import { Transform, type TransformCallback } from 'node:stream';
import type { ExportFormat, ExportKind } from '@meridian/contracts/exports';
import type { ExportColumn, ExportLayout } from '@meridian/read-model/exports';

/** File name extension and media type of each format (the stored file adds `.gz`). */
export const exportFormats: Record<ExportFormat, { readonly ext: string; readonly contentType: string }> = {
  csv: { ext: 'csv', contentType: 'text/csv; charset=utf-8' },
  ndjson: { ext: 'ndjson', contentType: 'application/x-ndjson' },
  geojson: { ext: 'geojson', contentType: 'application/geo+json' },
};

/** Where the file is stored, and the name offered for download (without `.gz`). */
export function exportFileNames(
  tenantId: string,
  exportId: string,
  kind: ExportKind,
  format: ExportFormat,
): { readonly key: string; readonly name: string; readonly contentType: string } {
  const { ext, contentType } = exportFormats[format];
  return { key: `${tenantId}/${exportId}.${ext}.gz`, name: `meridian-${kind}-${exportId}.${ext}`, contentType };
}

const COPY_ESCAPES: Readonly<Record<string, string>> = {
  b: '\b',
  f: '\f',
  n: '\n',
  r: '\r',
  t: '\t',
  v: '\v',
};

/** A field of PostgreSQL's COPY text format: `\N` is null, backslash escapes are undone. */
export function copyField(raw: string): string | null {
  if (raw === '\\N') return null;
  if (!raw.includes('\\')) return raw;
  return raw.replace(/\\(.)/g, (_, c: string) => COPY_ESCAPES[c] ?? c);
}

/** `2024-05-01T10:00:00.123000Z` → `2024-05-01T10:00:00.123Z`: milliseconds when that is all there is. */
export const shortInstant = (ts: string): string =>
  ts.length === 27 && ts.endsWith('000Z') ? `${ts.slice(0, 23)}Z` : ts;

/** RFC 4180: quoted (quotes doubled) when it holds a comma, a quote or a line break; null is empty. */
export function csvField(value: string | null): string {
  if (value === null) return '';
  return /[",\r\n]/.test(value) ? `"${value.replace(/"/g, '""')}"` : value;
}

/** A PostgreSQL number as JSON; NaN and ±Infinity (not JSON) become null. */
const jsonNumber = (v: string): string => (/^-?\d/.test(v) ? v : 'null');

function jsonValue(column: ExportColumn, v: string | null): string {
  if (v === null) return 'null';
  switch (column.type) {
    case 'uuid':
      return `"${v}"`;
    case 'instant':
      return `"${shortInstant(v)}"`;
    case 'number':
      return jsonNumber(v);
    case 'text':
      return JSON.stringify(v);
    case 'uuids':
      return v === '' ? '[]' : `["${v.split(';').join('","')}"]`;
    case 'geojson':
      return v;
    default: {
      const never: never = column.type;
      throw new Error(`unknown column type ${String(never)}`);
    }
  }
}

/** One row (COPY fields, unescaped) as a CSV line. */
export function csvLine(layout: ExportLayout, fields: readonly (string | null)[]): string {
  let line = '';
  for (let i = 0; i < layout.columns.length; i++) {
    const v = fields[i] ?? null;
    if (i > 0) line += ',';
    line += layout.columns[i].type === 'instant' && v !== null ? shortInstant(v) : csvField(v);
  }
  return `${line}\r\n`;
}

/** One row as a GeoJSON Feature (compact JSON, no line break). */
export function featureJson(layout: ExportLayout, fields: readonly (string | null)[]): string {
  let out = '{"type":"Feature"';
  if (layout.id !== null && fields[layout.id] != null) out += `,"id":${JSON.stringify(fields[layout.id])}`;
  const g = layout.geometry;
  if (g === null) out += ',"geometry":null';
  else if (g.type === 'point') {
    const lon = fields[g.lon];
    const lat = fields[g.lat];
    out +=
      lon == null || lat == null
        ? ',"geometry":null'
        : `,"geometry":{"type":"Point","coordinates":[${jsonNumber(lon)},${jsonNumber(lat)}]}`;
  } else out += `,"geometry":${fields[g.column] ?? 'null'}`;
  out += ',"properties":{';
  let first = true;
  for (let i = 0; i < layout.columns.length; i++) {
    const column = layout.columns[i];
    if (column.property === null) continue;
    out += `${first ? '' : ','}"${column.property}":${jsonValue(column, fields[i] ?? null)}`;
    first = false;
  }
  return `${out}}}`;
}

const GEOJSON_HEAD = '{"type":"FeatureCollection","features":[';

/**
 * COPY text (`COPY (…) TO STDOUT`, one row a line) in, the export's format out: CSV with a header,
 * NDJSON (one Feature a line) or a GeoJSON FeatureCollection written as it goes. A chunk at a time,
 * so memory holds one chunk whatever the export's size; `rows` counts the rows written.
 */
export class ExportFormatter extends Transform {
  rows = 0;
  private readonly decoder = new StringDecoder('utf8');
  private rest = '';
  private started = false;

  constructor(
    private readonly layout: ExportLayout,
    private readonly format: ExportFormat,
  ) {
    super();
  }

  override _transform(chunk: Buffer | string, _encoding: BufferEncoding, done: TransformCallback): void {
    try {
      const text = this.rest + (typeof chunk === 'string' ? chunk : this.decoder.write(chunk));
      const end = text.lastIndexOf('\n');
      if (end < 0) {
        this.rest = text;
        return done();
      }
      this.rest = text.slice(end + 1);
      const out = this.lines(text.slice(0, end).split('\n'));
      done(null, out.length > 0 ? out : undefined);
    } catch (err) {
      done(err as Error);
    }
  }

  override _flush(done: TransformCallback): void {
    try {
      const text = this.rest + this.decoder.end();
      let out = text.length > 0 ? this.lines([text]) : this.head();
      if (this.format === 'geojson') out += `${this.rows > 0 ? '\n' : ''}]}\n`;
      done(null, out.length > 0 ? out : undefined);
    } catch (err) {
      done(err as Error);
    }
  }

  /** The header (CSV) or the collection's start (GeoJSON), once, before the first row. */
  private head(): string {
    if (this.started) return '';
    this.started = true;
    if (this.format === 'csv') return `${this.layout.columns.map((c) => csvField(c.name)).join(',')}\r\n`;
    if (this.format === 'geojson') return GEOJSON_HEAD;
    return '';
  }

  private lines(lines: readonly string[]): string {
    let out = this.head();
    const width = this.layout.columns.length;
    for (const line of lines) {
      const fields = line.split('\t').map(copyField);
      if (fields.length !== width) throw new Error(`a COPY row has ${fields.length} fields, not ${width}`);
      if (this.format === 'csv') out += csvLine(this.layout, fields);
      else if (this.format === 'ndjson') out += `${featureJson(this.layout, fields)}\n`;
      else out += `${this.rows > 0 ? ',\n' : '\n'}${featureJson(this.layout, fields)}`;
      this.rows++;
    }
    return out;
  }
}
