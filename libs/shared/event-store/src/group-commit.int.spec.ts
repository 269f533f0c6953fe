import { randomUUID } from 'node:crypto';
import type { Pool, PoolClient } from 'pg';
import { afterAll, beforeAll, describe, expect, it } from '@jest/globals';
import { ConcurrencyError, handle, type NewEvent } from '@meridian/shared/decider';
import { createTestPool, eventually, freshSchema } from '@meridian/shared/testing';
import { counter, increment } from './counter.fixture';
import { eventStoreMigrations } from './event-store.sql';
import { migrate } from './migrations';
import { PgEventStore } from './pg-event-store';

const event = (): NewEvent => ({ id: randomUUID(), type: 'counter.incremented', data: { by: 1 } });

/**
 * Group commit under real PostgreSQL. To make appends meet in one batch on purpose, a first append
 * is held up by a row lock taken on another connection; everything submitted meanwhile queues
 * behind it and goes as one batch when the lock is released.
 */
describe('group commit of appends (PgEventStore)', () => {
  let pool: Pool;
  let store: PgEventStore;
  let schema: string;
  let dropSchema: () => Promise<void>;

  beforeAll(async () => {
    pool = createTestPool(10);
    const fresh = freshSchema(pool, 'group_commit');
    schema = fresh.schema;
    dropSchema = fresh.cleanup;
    await migrate(pool, schema, eventStoreMigrations(schema));
    store = new PgEventStore(pool, schema);
  });

  afterAll(async () => {
    await dropSchema?.();
    await pool?.end();
  });

  /** Starts an append to a stream whose row another connection has locked; returns the lock holder. */
  async function holdCommits(): Promise<{ first: Promise<unknown>; release: () => Promise<void> }> {
    const blocker = `blocker-${randomUUID()}`;
    await store.append(blocker, 0, [event()]);
    const lock: PoolClient = await pool.connect();
    await lock.query('BEGIN');
    await lock.query(`SELECT 1 FROM ${schema}.streams WHERE stream_id = $1 FOR UPDATE`, [blocker]);
    const first = store.append(blocker, 1, [event()]);
    // The first commit is in flight (waiting on the lock) once the server shows it waiting.
    await eventually(async () => {
      const { rows } = await pool.query(
        `SELECT 1 FROM pg_stat_activity WHERE wait_event_type = 'Lock' AND query LIKE '%append_events%'`,
      );
      expect(rows.length).toBeGreaterThan(0);
    });
    return {
      first,
      release: async () => {
        await lock.query('COMMIT');
        lock.release();
      },
    };
  }

  it('serves 60 concurrent loads in three round trips, each with its own stream', async () => {
    const streams = Array.from({ length: 60 }, () => `load-${randomUUID()}`);
    await Promise.all(streams.map((id, i) => store.append(id, 0, Array.from({ length: (i % 4) + 1 }, event))));
    const before = { ...store.loads.sizes };
    const loads = await Promise.all(streams.map((id) => store.loadStream(id, 1)));
    // Two go alone (two may be in flight); the 58 that queued behind them share the third.
    expect(store.loads.sizes.runs - before.runs).toBe(3);
    expect(store.loads.sizes.largest).toBeGreaterThanOrEqual(58);
    expect(loads.map((l) => l.events.length)).toEqual(streams.map((_, i) => (i % 4) + 1));
  });

  it('fails only the load of a stream whose events cannot be read; its batch neighbours load', async () => {
    const upcasting = new PgEventStore(pool, schema, {
      'counter.broken@1': () => {
        throw new Error('no upcaster can read this');
      },
    });
    const good = Array.from({ length: 20 }, () => `good-${randomUUID()}`);
    const bad = `bad-${randomUUID()}`;
    await Promise.all(good.map((id) => upcasting.append(id, 0, [event()])));
    await upcasting.append(bad, 0, [{ id: randomUUID(), type: 'counter.broken', data: {} }]);
    // The first two go alone (two may be in flight); the bad one queues among the rest.
    const asked = [...good.slice(0, 2), bad, ...good.slice(2)];
    const outcomes = await Promise.allSettled(asked.map((id) => upcasting.loadStream(id, 1)));
    expect(outcomes[2]).toMatchObject({ status: 'rejected', reason: { message: 'no upcaster can read this' } });
    const others = outcomes.filter((_, i) => i !== 2);
    expect(others.map((o) => (o.status === 'fulfilled' ? o.value.events.length : o.reason))).toEqual(good.map(() => 1));
    expect(upcasting.loads.sizes.largest).toBeGreaterThan(1);
  });

  it('answers 50 concurrent appends at the same expected version with exactly one winner, in one batch', async () => {
    const stream = `s-${randomUUID()}`;
    const { first, release } = await holdCommits();
    const largestBefore = store.commits.sizes.largest;
    const attempts = Array.from({ length: 50 }, () =>
      store.append(stream, 0, [event()]).then(
        () => 'won',
        (err: unknown) => (err instanceof ConcurrencyError ? 'conflict' : `error: ${String(err)}`),
      ),
    );
    await release();
    await first;
    const outcomes = await Promise.all(attempts);
    expect(outcomes.filter((o) => o === 'won')).toHaveLength(1);
    expect(outcomes.filter((o) => o === 'conflict')).toHaveLength(49);
    expect(store.commits.sizes.largest).toBeGreaterThanOrEqual(Math.max(largestBefore, 50));
    expect(await store.readStream(stream)).toHaveLength(1);
  });

  it('lets a conflict and a rejection in a batch fail alone: every other command succeeds', async () => {
    const closed = `counter-${randomUUID()}`;
    await handle(store, counter, closed, { type: 'close' }, { commandId: randomUUID() });
    const busy = `counter-${randomUUID()}`;
    await store.append(busy, 0, [event()]);
    const fine = Array.from({ length: 8 }, () => `counter-${randomUUID()}`);

    const { first, release } = await holdCommits();
    const conflicting = store.append(busy, 0, [event()]); // busy is at version 1: a conflict
    const rejected = handle(store, counter, closed, increment(), { commandId: randomUUID() }); // decider says no
    const others = fine.map((id) => handle(store, counter, id, increment(), { commandId: randomUUID() }));
    const duplicateOfFine = store.append(`counter-${randomUUID()}`, 0, [event()]);
    await release();
    await first;

    await expect(conflicting).rejects.toBeInstanceOf(ConcurrencyError);
    await expect(rejected).resolves.toMatchObject({ ok: false, code: 'ASSET.RETIRED' });
    for (const result of await Promise.all(others)) expect(result).toMatchObject({ ok: true, version: 1 });
    await expect(duplicateOfFine).resolves.toMatchObject({ nextVersion: 1, duplicate: false });
    for (const id of fine) expect(await store.readStream(id)).toHaveLength(1);
    expect(await store.readStream(busy)).toHaveLength(1);
  });

  it('answers a command redelivered after a crash between append and reply with the original result', async () => {
    const id = `counter-${randomUUID()}`;
    const commandId = randomUUID();
    const original = await handle(store, counter, id, increment(3), { commandId });
    // The reply was lost; the command comes again, here meeting other appends in one batch.
    const { first, release } = await holdCommits();
    const again = handle(store, counter, id, increment(3), { commandId });
    const neighbours = Array.from({ length: 5 }, () =>
      handle(store, counter, `counter-${randomUUID()}`, increment(), { commandId: randomUUID() }),
    );
    await release();
    await first;
    expect(original).toMatchObject({ ok: true, version: 1 });
    await expect(again).resolves.toMatchObject({ ok: true, version: 1, duplicate: true });
    for (const r of await Promise.all(neighbours)) expect(r).toMatchObject({ ok: true });
    expect(await store.readStream(id)).toHaveLength(1);
  });

  it('retries an append whose events a batch neighbour already stored as a duplicate, not a conflict', async () => {
    const stream = `s-${randomUUID()}`;
    const events = [event()];
    const { first, release } = await holdCommits();
    const a = store.append(stream, 0, events);
    const b = store.append(stream, 0, events); // the same event ids: a retry of the same append
    await release();
    await first;
    await expect(a).resolves.toMatchObject({ nextVersion: 1 });
    await expect(b).resolves.toMatchObject({ nextVersion: 1, duplicate: true });
    expect(await store.readStream(stream)).toHaveLength(1);
  });
});
