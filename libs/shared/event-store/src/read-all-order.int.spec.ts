import { randomUUID } from 'node:crypto';
import type { Pool } from 'pg';
import { afterAll, beforeAll, describe, expect, it } from '@jest/globals';
import { createTestPool, eventually, freshSchema, type FreshSchema } from '@meridian/shared/testing';
import { type AllPosition, positionOf, START } from './all-stream';
import { eventStoreMigrations } from './event-store.sql';
import { migrate } from './migrations';
import { PgEventStore } from './pg-event-store';

const COUNT = 20;

/** The current snapshot horizon: every transaction id below it has finished. */
const horizon = async (pool: Pool): Promise<bigint> =>
  BigInt(
    (await pool.query<{ xmin: string }>('SELECT pg_snapshot_xmin(pg_current_snapshot())::text AS xmin')).rows[0].xmin,
  );

/**
 * COUNT transaction ids straddling the largest power of ten (at least 100) that lies wholly below
 * the horizon, e.g. 90..109 on a brand-new cluster or 9990..10009 on an older one. $all only
 * reads ids below the horizon, so a young cluster first spends a few transaction ids.
 */
async function idsAcrossADigitBoundary(pool: Pool): Promise<bigint[]> {
  const half = BigInt(COUNT / 2);
  const xmin = await eventually(
    async () => {
      const current = await horizon(pool);
      if (current > 100n + half) return current;
      for (let i = 0; i < 20; i++) await pool.query('SELECT pg_current_xact_id()');
      throw new Error(`snapshot horizon ${current} is still below ${100n + half}`);
    },
    { timeoutMs: 30_000, intervalMs: 10 },
  );
  let power = 100n;
  while (power * 10n + half < xmin) power *= 10n;
  return Array.from({ length: COUNT }, (_, i) => power - half + BigInt(i));
}

/**
 * Regression: `$all` must order by the xid8 value, not its text. Transaction ids that straddle a
 * power of ten ("99" < "100" numerically, but not as text) must come out in numeric order and a
 * reader paging with its checkpoint must see every event.
 */
describe('$all order across transaction ids of different digit counts', () => {
  let pool: Pool;
  let fresh: FreshSchema;
  let store: PgEventStore;
  let ids: bigint[];

  beforeAll(async () => {
    pool = createTestPool(4);
    fresh = freshSchema(pool, 'readall_order');
    await migrate(pool, fresh.schema, eventStoreMigrations(fresh.schema));
    store = new PgEventStore(pool, fresh.schema);
    ids = await idsAcrossADigitBoundary(pool);
    // Explicit (old, finished) transaction ids, inserted in shuffled order.
    const shuffled = [...ids].sort(() => Math.random() - 0.5);
    for (const [i, xid] of shuffled.entries()) {
      await pool.query(
        `INSERT INTO ${fresh.schema}.events (transaction_id, stream_id, stream_version, event_id, type, data)
         VALUES ($1::text::xid8, $2, 1, $3, 'probe.v1', $4)`,
        [String(xid), `s-${i}`, randomUUID(), JSON.stringify({ xid: String(xid) })],
      );
    }
  });

  afterAll(async () => {
    await fresh?.cleanup();
    await pool?.end();
  });

  it('probes ids whose text order differs from their numeric order', () => {
    const asText = ids.map(String).sort();
    expect(asText).not.toEqual(ids.map(String));
    expect(asText[0]).toBe(String(ids[COUNT / 2]));
  });

  it('returns events ordered by numeric transaction id', async () => {
    const events = await store.readAll(START, 100);
    expect(events.map((e) => e.transactionId)).toEqual(ids.map(String));
  });

  it('pages through every event with a checkpoint, skipping none', async () => {
    const seen: string[] = [];
    let position: AllPosition = START;
    for (let page = await store.readAll(position, 3); page.length > 0; page = await store.readAll(position, 3)) {
      seen.push(...page.map((e) => (e.data as { xid: string }).xid));
      position = positionOf(page[page.length - 1]);
    }
    expect(seen).toEqual(ids.map(String));
  });
});
