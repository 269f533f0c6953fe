import { randomUUID } from 'node:crypto';
import type { Pool } from 'pg';
import { afterAll, beforeAll, describe, expect, it } from '@jest/globals';
import { ConcurrencyError, handle } from '@meridian/shared/decider';
import { createTestPool, freshSchema } from '@meridian/shared/testing';
import { counter, increment, replay } from './counter.fixture';
import { eventStoreMigrations } from './event-store.sql';
import { migrate } from './migrations';
import { PgEventStore } from './pg-event-store';

// handle()'s conflict retry under real races: concurrent commands on separate connections that
// interleave inside PostgreSQL. Everything else about handle() runs on the in-memory store
// (handle.spec.ts).

describe('handle() against PgEventStore', () => {
  let pool: Pool;
  let store: PgEventStore;
  let dropSchema: () => Promise<void>;

  beforeAll(async () => {
    pool = createTestPool(20);
    const fresh = freshSchema(pool, 'decider');
    dropSchema = fresh.cleanup;
    await migrate(pool, fresh.schema, eventStoreMigrations(fresh.schema));
    store = new PgEventStore(pool, fresh.schema);
  });

  afterAll(async () => {
    await dropSchema?.();
    await pool?.end();
  });

  it('lets 20 concurrent commands on one stream all succeed through conflict retry', async () => {
    const id = `counter-${randomUUID()}`;
    const results = await Promise.all(
      Array.from({ length: 20 }, (_, i) =>
        handle(store, counter, id, increment(i + 1), { commandId: randomUUID(), maxConflictRetries: 20 }),
      ),
    );
    expect(results.every((r) => r.ok)).toBe(true);
    const versions = results.map((r) => (r.ok ? r.version : -1)).sort((x, y) => x - y);
    expect(versions).toEqual(Array.from({ length: 20 }, (_, i) => i + 1));
    const events = await store.readStream(id);
    expect(events.map((e) => e.streamVersion)).toEqual(versions);
    expect(replay(events)).toEqual({ count: 210, increments: 20, closed: false });
  });

  it('gives up with the typed conflict once its retries are used up', async () => {
    const id = `counter-${randomUUID()}`;
    const results = await Promise.allSettled(
      Array.from({ length: 10 }, () =>
        handle(store, counter, id, increment(), { commandId: randomUUID(), maxConflictRetries: 0 }),
      ),
    );
    const failed = results.filter((r): r is PromiseRejectedResult => r.status === 'rejected');
    const succeeded = results.filter((r) => r.status === 'fulfilled').length;
    expect(succeeded).toBeGreaterThanOrEqual(1);
    for (const r of failed) expect(r.reason).toBeInstanceOf(ConcurrencyError);
    expect((await store.readStream(id)).length).toBe(succeeded);
  });
});
