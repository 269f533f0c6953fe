import { latLngToCell } from 'h3-js';
import type { Pool, PoolClient } from 'pg';

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
 * point at the coarser resolution); `coarse` is the cell's resolution-3 parent. Pure.
 */
export function countCells(fixes: readonly CellFix[], resolutions: readonly number[]): CellCount[] {
  if (resolutions.length === 0 || fixes.length === 0) return [];
  const sorted = [...resolutions].sort((a, b) => b - a);
  const counts = new Map<string, { count: CellCount; fixes: number }>();
  for (const fix of fixes) {
    const hour = Math.floor(Date.parse(fix.ts) / HOUR_MS) * HOUR_MS;
    for (const resolution of sorted) {
      const cell = halvesOf(latLngToCell(fix.lat, fix.lon, resolution));
      // Each (resolution, cell) always has the same coarse key: its own resolution-3 parent (or
      // itself, below resolution 3, where queries do not use the key).
      const coarse = decimalOf(resolution < COARSE_RESOLUTION ? cell : parentOf(cell, COARSE_RESOLUTION));
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

const COMPACTION_LOCK = `hashtext('meridian.position_cells.compaction')`;

/**
 * Merges the rows each batch appended to `position_cells` into one row per (tenant, resolution,
 * cell) for every closed hour not merged yet, oldest first, at most `maxHours` per call: one
 * transaction per hour (delete the hour's rows, insert their sums), so a reader sees the hour
 * before or after, never half. Hours are closed `closedAfterMs` after they end; a late fix that
 * lands in a merged hour appends a row the sums still count. Replicas take turns (advisory lock).
 * Looks `lookBackHours` back for hours not merged yet. Returns the hours merged.
 */
export async function compactCells(
  pool: Pool,
  options: {
    readonly now: number;
    readonly closedAfterMs: number;
    readonly maxHours: number;
    readonly lookBackHours: number;
  },
): Promise<{ hours: number; rowsBefore: number; rowsAfter: number }> {
  const client = await pool.connect();
  let hours = 0;
  let rowsBefore = 0;
  let rowsAfter = 0;
  try {
    const { rows: locked } = await client.query<{ ok: boolean }>(
      `SELECT pg_try_advisory_lock(${COMPACTION_LOCK}) AS ok`,
    );
    if (!locked[0].ok) return { hours, rowsBefore, rowsAfter };
    try {
      const closedBefore = Math.floor((options.now - options.closedAfterMs) / HOUR_MS) * HOUR_MS - HOUR_MS;
      const first = Math.floor(options.now / HOUR_MS) * HOUR_MS - options.lookBackHours * HOUR_MS;
      const { rows: open } = await client.query<{ hour: Date }>(
        `SELECT h AS hour FROM generate_series($1::timestamptz, $2::timestamptz, interval '1 hour') h
         WHERE NOT EXISTS (SELECT 1 FROM read.position_cells_compacted c WHERE c.hour = h)
         ORDER BY h LIMIT $3`,
        [new Date(first).toISOString(), new Date(closedBefore).toISOString(), options.maxHours],
      );
      for (const { hour: start } of open) {
        const hour = start.getTime();
        hours++;
        const at = new Date(hour).toISOString();
        await client.query('BEGIN');
        try {
          const { rows } = await client.query<{ before: number; after: number }>(
            `WITH moved AS (DELETE FROM read.position_cells WHERE hour = $1 RETURNING *),
             merged AS (
               INSERT INTO read.position_cells (tenant_id, resolution, coarse, hour, cell, fixes)
               SELECT tenant_id, resolution, coarse, hour, cell, sum(fixes)::int FROM moved
               GROUP BY tenant_id, resolution, coarse, hour, cell
               RETURNING 1
             )
             SELECT (SELECT count(*) FROM moved)::int AS before, (SELECT count(*) FROM merged)::int AS after`,
            [at],
          );
          await client.query(`INSERT INTO read.position_cells_compacted (hour) VALUES ($1) ON CONFLICT DO NOTHING`, [
            at,
          ]);
          await client.query('COMMIT');
          rowsBefore += rows[0].before;
          rowsAfter += rows[0].after;
        } catch (err) {
          await client.query('ROLLBACK');
          throw err;
        }
      }
    } finally {
      await client.query(`SELECT pg_advisory_unlock(${COMPACTION_LOCK})`);
    }
  } finally {
    client.release();
  }
  return { hours, rowsBefore, rowsAfter };
}
