import type { PositionRow } from './positions.writes';

/** Columns of `read.positions` a COPY of fixes fills, in the order `copyLines` writes them. */
export const COPY_COLUMNS = '(tenant_id, asset_id, ts, geom, alt, speed, heading, battery, accuracy)';

/** COPY text format: tab-separated, `\N` for null, backslash escapes in text values. */
const copyText = (s: string): string =>
  /[\\\t\n\r]/.test(s)
    ? s.replace(/[\\\t\n\r]/g, (c) => ({ '\\': '\\\\', '\t': '\\t', '\n': '\\n', '\r': '\\r' })[c] ?? c)
    : s;
const copyNum = (v: number | undefined): string => (v === undefined ? '\\N' : String(v));

const ewkb = Buffer.alloc(25);
/** Hex EWKB of POINT(lon lat) with SRID 4326: what geometry_in parses fastest and pg_dump writes. */
export function ewkbPointHex(lon: number, lat: number): string {
  ewkb.writeUInt8(1, 0); // little endian
  ewkb.writeUInt32LE(0x20000001, 1); // Point, with SRID
  ewkb.writeUInt32LE(4326, 5);
  ewkb.writeDoubleLE(lon, 9);
  ewkb.writeDoubleLE(lat, 17);
  return ewkb.toString('hex');
}

/** Fixes as COPY text lines for `COPY … COPY_COLUMNS FROM STDIN`. */
export function copyLines(rows: readonly PositionRow[]): string {
  let out = '';
  for (const r of rows) {
    out +=
      `${copyText(r.tenantId)}\t${r.assetId}\t${r.ts}\t${ewkbPointHex(r.lon, r.lat)}\t` +
      `${copyNum(r.alt)}\t${copyNum(r.speed)}\t${copyNum(r.heading)}\t${copyNum(r.battery)}\t${copyNum(r.accuracy)}\n`;
  }
  return out;
}
