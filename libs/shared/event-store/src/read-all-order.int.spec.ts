import { randomUUID } from 'node:crypto';
import type { Pool } from 'pg';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { createTestPool, freshSchema, type FreshSchema } from '@meridian/shared/testing';
import { eventStoreMigrations } from './event-store.sql';
import { migrate } from './migrations';
import { type AllPosition, PgEventStore, positionOf, START } from './pg-event-store';

/**
 * Regression: `$all` must order by the xid8 value, not its text. Transaction ids that straddle a
 * power of ten ("9999" < "10000" numerically, but not as text) must come out in numeric order
 * and a reader paging with its checkpoint must see every event.
 */
describe('$all order across transaction ids of different digit counts', () => {
  let pool: Pool;
  let fresh: FreshSchema;
  let store: PgEventStore;

  beforeAll(async () => {
    pool = createTestPool(4);
    fresh = freshSchema(pool, 'readall_order');
    await migrate(pool, fresh.schema, eventStoreMigrations(fresh.schema));
    store = new PgEventStore(pool, fresh.schema);
    // Explicit (old, committed) transaction ids 9990..10009, inserted in shuffled order.
    const xids = Array.from({ length: 20 }, (_, i) => 9990 + i).sort(() => Math.random() - 0.5);
    for (const [i, xid] of xids.entries()) {
      await pool.query(
        `INSERT INTO ${fresh.schema}.events (transaction_id, stream_id, stream_version, event_id, type, data)
         VALUES ($1::text::xid8, $2, 1, $3, 'probe.v1', $4)`,
        [String(xid), `s-${i}`, randomUUID(), JSON.stringify({ xid })],
      );
    }
  });

  afterAll(async () => {
    await fresh.cleanup();
    await pool.end();
  });

  it('returns events ordered by numeric transaction id', async () => {
    const events = await store.readAll(START, 100);
    expect(events.map((e) => Number(e.transactionId))).toEqual(Array.from({ length: 20 }, (_, i) => 9990 + i));
  });

  it('pages through every event with a checkpoint, skipping none', async () => {
    const seen: number[] = [];
    let position: AllPosition = START;
    for (let page = await store.readAll(position, 3); page.length > 0; page = await store.readAll(position, 3)) {
      seen.push(...page.map((e) => (e.data as { xid: number }).xid));
      position = positionOf(page[page.length - 1]);
    }
    expect(seen).toEqual(Array.from({ length: 20 }, (_, i) => 9990 + i));
  });
});
