import { latLngToCell } from 'h3-js';
import type { PoolClient } from 'pg';

/** The resolution of `position_cells.coarse`: what a bbox is turned into before the index is asked. */
export const COARSE_RESOLUTION = 3;

const HOUR_MS = 3_600_000;
const TWO_32 = 2 ** 32;

/** An H3 index as its two 32-bit halves (JS bit operators work on 32 bits). */
interface Halves {
  readonly high: number;
  readonly low: number;
}

const halvesOf = (hex: string): Halves => {
  const padded = hex.padStart(16, '0');
  return { high: parseInt(padded.slice(0, 8), 16), low: parseInt(padded.slice(8), 16) };
};

/**
 * The parent of a cell at a coarser resolution, by bit arithmetic (what H3's `cellToParent` does):
 * the resolution field (bits 52–55) becomes `res` and every digit finer than `res` (3 bits each,
 * resolution 1 at bits 42–44 … resolution 15 at bits 0–2) becomes 7, "unused".
 */
function parentOf(cell: Halves, res: number): Halves {
  let { high, low } = cell;
  high = ((high & ~(0xf << 20)) | (res << 20)) >>> 0;
  for (let r = res + 1; r <= 15; r++) {
    const shift = (15 - r) * 3;
    if (shift >= 32) high = (high | (0x7 << (shift - 32))) >>> 0;
    else if (shift + 3 <= 32) low = (low | (0x7 << shift)) >>> 0;
    else {
      // Resolution 5's digit straddles the halves: bits 30–32.
      low = (low | (0x3 << 30)) >>> 0;
      high = (high | 0x1) >>> 0;
    }
  }
  return { high, low };
}

/** An H3 index as the decimal text of a signed 64-bit integer (bit 63 is always 0), for `bigint` columns. */
const decimalOf = (h: Halves): string => (BigInt(h.high) * BigInt(TWO_32) + BigInt(h.low)).toString();

/** Hexadecimal H3 index (h3-js's form) of a `bigint` column's value. */
export const cellHex = (decimal: string): string => BigInt(decimal).toString(16);

/** The H3 index of a `bigint` column's value at a coarser resolution (hexadecimal). */
export function parentHex(hex: string, res: number): string {
  const p = parentOf(halvesOf(hex), res);
  return (BigInt(p.high) * BigInt(TWO_32) + BigInt(p.low)).toString(16);
}

export interface CellCount {
  readonly tenantId: string;
  readonly resolution: number;
  /** Decimal H3 index of the resolution-3 parent. */
  readonly coarse: string;
  /** Start of the hour, epoch milliseconds. */
  readonly hour: number;
  /** Decimal H3 index. */
  readonly cell: string;
  readonly fixes: number;
}

export interface CellFix {
  readonly tenantId: string;
  readonly ts: string;
  readonly lon: number;
  readonly lat: number;
}

/**
 * Fix counts per tenant, resolution, cell and hour of a set of stored fixes: the cell of each fix at
 * each resolution (`latLngToCell`: H3 cells do not nest exactly, so a parent is not the cell of the
 * point at the coarser resolution); `coarse` is the resolution-3 parent of the finest. Pure.
 */
export function countCells(fixes: readonly CellFix[], resolutions: readonly number[]): CellCount[] {
  if (resolutions.length === 0 || fixes.length === 0) return [];
  const sorted = [...resolutions].sort((a, b) => b - a);
  const counts = new Map<string, { count: CellCount; fixes: number }>();
  for (const fix of fixes) {
    const hour = Math.floor(Date.parse(fix.ts) / HOUR_MS) * HOUR_MS;
    let coarse: string | undefined;
    for (const resolution of sorted) {
      const cell = halvesOf(latLngToCell(fix.lat, fix.lon, resolution));
      coarse ??= decimalOf(parentOf(cell, COARSE_RESOLUTION));
      const id = decimalOf(cell);
      const key = `${fix.tenantId}|${resolution}|${hour}|${id}`;
      const seen = counts.get(key);
      if (seen) seen.fixes++;
      else
        counts.set(key, { count: { tenantId: fix.tenantId, resolution, coarse, hour, cell: id, fixes: 0 }, fixes: 1 });
    }
  }
  return [...counts.values()].map(({ count, fixes: n }) => ({ ...count, fixes: n }));
}

/** Appends counts to read.position_cells (inside the fixes' transaction). */
export async function insertCellCounts(client: Pick<PoolClient, 'query'>, counts: readonly CellCount[]): Promise<void> {
  if (counts.length === 0) return;
  await client.query(
    `INSERT INTO read.position_cells (tenant_id, resolution, coarse, hour, cell, fixes)
     SELECT * FROM unnest($1::text[], $2::smallint[], $3::bigint[], $4::timestamptz[], $5::bigint[], $6::int[])`,
    [
      counts.map((c) => c.tenantId),
      counts.map((c) => c.resolution),
      counts.map((c) => c.coarse),
      counts.map((c) => new Date(c.hour).toISOString()),
      counts.map((c) => c.cell),
      counts.map((c) => c.fixes),
    ],
  );
}
