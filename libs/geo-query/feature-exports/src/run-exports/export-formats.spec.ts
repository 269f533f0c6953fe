import { Readable } from 'node:stream';
import { describe, expect, it } from '@jest/globals';
import type { ExportFormat } from '@meridian/contracts/exports';
import { type ExportLayout, missionsLayout, positionsLayout, visitsLayout } from '@meridian/read-model/exports';
import { copyField, csvField, ExportFormatter, exportFileNames } from './export-formats';

/** Runs COPY text through the formatter, fed in the given chunks. */
async function format(layout: ExportLayout, fmt: ExportFormat, chunks: readonly (string | Buffer)[]): Promise<string> {
  const formatter = new ExportFormatter(layout, fmt);
  const parts: Buffer[] = [];
  const done = Readable.from(chunks.map((c) => (typeof c === 'string' ? Buffer.from(c) : c)))
    .pipe(formatter)
    .on('data', (b: Buffer) => parts.push(b));
  await new Promise<void>((resolve, reject) => done.on('end', resolve).on('error', reject));
  return Buffer.concat(parts).toString('utf8');
}

/** A strict RFC 4180 reader: rows of fields, quotes undone. */
function parseCsv(text: string): string[][] {
  const rows: string[][] = [];
  let row: string[] = [];
  let field = '';
  let i = 0;
  let quoted = false;
  while (i < text.length) {
    const c = text[i];
    if (quoted) {
      if (c === '"' && text[i + 1] === '"') {
        field += '"';
        i += 2;
        continue;
      }
      if (c === '"') quoted = false;
      else field += c;
      i++;
      continue;
    }
    if (c === '"' && field === '') quoted = true;
    else if (c === ',') {
      row.push(field);
      field = '';
    } else if (c === '\r' && text[i + 1] === '\n') {
      row.push(field);
      rows.push(row);
      row = [];
      field = '';
      i++;
    } else field += c;
    i++;
  }
  if (field !== '' || row.length > 0) throw new Error(`unterminated last row: ${JSON.stringify(row)}`);
  return rows;
}

const A = '3f0c7a52-0c53-4d3f-9b1e-6a8e0f8d9a01';
const B = '9d1e2b3c-4a5f-4e6d-8c7b-1a2b3c4d5e6f';
/** COPY text escapes: a tab, a newline, a backslash in text values. */
const position = (asset: string, ts: string, lon: string, lat: string, speed = '\\N') =>
  `${asset}\t${ts}\t${lon}\t${lat}\t\\N\t${speed}\t\\N\t5\n`;
const awkwardTitle = 'Sweep, "north" sector\nline two\\end\ttab';
const copyTitle = 'Sweep, "north" sector\\nline two\\\\end\\ttab';
const area = '{"type":"Polygon","coordinates":[[[8,47],[9,47],[9,48],[8,47]]]}';
const mission =
  `${A}\t${copyTitle}\tactive\t2\tpatrol\t1\t2024-05-01T10:00:00.000000Z\t2024-05-01T12:00:00.123456Z\t` +
  `2024-05-01T13:00:00.000000Z\t${A};${B}\t2024-04-30T09:00:00.000000Z\t2024-04-30T09:30:00.000000Z\t${area}\n`;

describe('COPY text fields', () => {
  it('reads \\N as null and undoes backslash escapes', () => {
    expect(copyField('\\N')).toBeNull();
    expect(copyField('a\\tb\\nc\\\\d\\re')).toBe('a\tb\nc\\d\re');
    expect(copyField('')).toBe('');
  });

  it('quotes CSV fields only when they need it', () => {
    expect(csvField('plain')).toBe('plain');
    expect(csvField('a,b')).toBe('"a,b"');
    expect(csvField('say "hi"')).toBe('"say ""hi"""');
    expect(csvField('two\nlines')).toBe('"two\nlines"');
    expect(csvField(null)).toBe('');
  });

  it('names files by tenant, id, kind and format', () => {
    expect(exportFileNames('t1', A, 'positions', 'csv')).toEqual({
      key: `t1/${A}.csv.gz`,
      name: `meridian-positions-${A}.csv`,
      contentType: 'text/csv; charset=utf-8',
    });
    expect(exportFileNames('t1', A, 'missions', 'geojson').contentType).toBe('application/geo+json');
    expect(exportFileNames('t1', A, 'visits', 'ndjson').contentType).toBe('application/x-ndjson');
  });
});

describe('CSV writer', () => {
  it('writes a header and one quoted row per COPY row, titles with commas, quotes and newlines intact', async () => {
    const text = await format(missionsLayout, 'csv', [mission]);
    const rows = parseCsv(text);
    expect(rows[0]).toEqual(missionsLayout.columns.map((c) => c.name));
    expect(rows).toHaveLength(2);
    expect(rows[1][1]).toBe(awkwardTitle);
    expect(rows[1][6]).toBe('2024-05-01T10:00:00.000Z');
    expect(rows[1][7]).toBe('2024-05-01T12:00:00.123456Z');
    expect(rows[1][9]).toBe(`${A};${B}`);
    expect(JSON.parse(rows[1][12])).toEqual(JSON.parse(area));
  });

  it('writes nulls as empty fields', async () => {
    const rows = parseCsv(
      await format(positionsLayout, 'csv', [position(A, '2024-05-01T10:00:00.000000Z', '8.5', '47.25')]),
    );
    expect(rows[1]).toEqual([A, '2024-05-01T10:00:00.000Z', '8.5', '47.25', '', '', '', '5']);
  });

  it('writes only the header for an empty result', async () => {
    expect(await format(visitsLayout, 'csv', [])).toBe('zone_id,zone_name,asset_id,entered_at,exited_at\r\n');
  });

  it('joins rows split across chunks, and UTF-8 characters split between two chunks', async () => {
    const row = `${A}\tZürich – Süd\t${B}\t2024-05-01T10:00:00.000000Z\t\\N\n`;
    const bytes = Buffer.from(row + row);
    const cut = bytes.indexOf(Buffer.from('ü')) + 1; // inside the two bytes of ü
    const text = await format(visitsLayout, 'csv', [
      bytes.subarray(0, cut),
      bytes.subarray(cut, 70),
      bytes.subarray(70),
    ]);
    const rows = parseCsv(text);
    expect(rows).toHaveLength(3);
    expect(rows[1]).toEqual([A, 'Zürich – Süd', B, '2024-05-01T10:00:00.000Z', '']);
    expect(rows[2]).toEqual(rows[1]);
  });
});

describe('NDJSON writer', () => {
  it('writes one GeoJSON Feature per line', async () => {
    const text = await format(positionsLayout, 'ndjson', [
      position(A, '2024-05-01T10:00:00.000000Z', '8.5', '47.25', '12.5'),
      position(B, '2024-05-01T10:00:01.000001Z', '-0.125', '-33', 'NaN'),
    ]);
    const lines = text.split('\n');
    expect(lines.pop()).toBe('');
    const features = lines.map((l) => JSON.parse(l) as Record<string, unknown>);
    expect(features).toEqual([
      {
        type: 'Feature',
        geometry: { type: 'Point', coordinates: [8.5, 47.25] },
        properties: { assetId: A, ts: '2024-05-01T10:00:00.000Z', alt: null, speed: 12.5, heading: null, accuracy: 5 },
      },
      {
        type: 'Feature',
        geometry: { type: 'Point', coordinates: [-0.125, -33] },
        // NaN is not JSON: null.
        properties: {
          assetId: B,
          ts: '2024-05-01T10:00:01.000001Z',
          alt: null,
          speed: null,
          heading: null,
          accuracy: 5,
        },
      },
    ]);
  });

  it('writes missions with their id, area and awkward titles as valid JSON', async () => {
    const [line] = (await format(missionsLayout, 'ndjson', [mission])).split('\n');
    const feature = JSON.parse(line) as { id: string; geometry: unknown; properties: Record<string, unknown> };
    expect(feature.id).toBe(A);
    expect(feature.geometry).toEqual(JSON.parse(area));
    expect(feature.properties['title']).toBe(awkwardTitle);
    expect(feature.properties['assetIds']).toEqual([A, B]);
    expect(feature.properties['priority']).toBe(2);
  });

  it('writes nothing for an empty result', async () => {
    expect(await format(positionsLayout, 'ndjson', [])).toBe('');
  });
});

describe('GeoJSON writer', () => {
  it('writes a FeatureCollection that parses, row by row', async () => {
    const rows = Array.from({ length: 5 }, (_, i) => position(A, `2024-05-01T10:00:0${i}.000000Z`, `${i}`, '1'));
    const collection = JSON.parse(
      await format(positionsLayout, 'geojson', [rows.join('').slice(0, 90), rows.join('').slice(90)]),
    ) as {
      type: string;
      features: { geometry: { coordinates: number[] } }[];
    };
    expect(collection.type).toBe('FeatureCollection');
    expect(collection.features.map((f) => f.geometry.coordinates[0])).toEqual([0, 1, 2, 3, 4]);
  });

  it('writes visits with a null geometry', async () => {
    const text = await format(visitsLayout, 'geojson', [`${A}\tGate "A"\t${B}\t2024-05-01T10:00:00.000000Z\t\\N\n`]);
    expect(JSON.parse(text)).toEqual({
      type: 'FeatureCollection',
      features: [
        {
          type: 'Feature',
          geometry: null,
          properties: {
            zoneId: A,
            zoneName: 'Gate "A"',
            assetId: B,
            enteredAt: '2024-05-01T10:00:00.000Z',
            exitedAt: null,
          },
        },
      ],
    });
  });

  it('writes a valid empty FeatureCollection for an empty result', async () => {
    expect(JSON.parse(await format(missionsLayout, 'geojson', []))).toEqual({
      type: 'FeatureCollection',
      features: [],
    });
  });

  it('refuses a row with the wrong number of fields', async () => {
    await expect(format(visitsLayout, 'csv', ['a\tb\n'])).rejects.toThrow('2 fields, not 5');
  });
});
