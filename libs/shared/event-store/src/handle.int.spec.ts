import { randomUUID } from 'node:crypto';
import type { Pool } from 'pg';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { accept, ConcurrencyError, type Decider, fold, handle, load, reject } from '@meridian/shared/decider';
import { createTestPool, freshSchema } from '@meridian/shared/testing';
import { eventStoreMigrations } from './event-store.sql';
import { migrate } from './migrations';
import { PgEventStore } from './pg-event-store';

// The decider runtime's handle() loop against the real store. It lives in event-store, not in
// decider: decider is kind:pure, and a spec there importing pg/event-store would be a lint-enforced
// boundary violation (and an Nx dependency cycle decider <-> event-store).

type Command = { readonly type: 'increment'; readonly by: number } | { readonly type: 'close' };
type Event = { readonly type: 'counter.incremented'; readonly data: { readonly by: number } } | { readonly type: 'counter.closed'; readonly data: Record<string, never> };
interface State {
  readonly count: number;
  readonly increments: number;
  readonly closed: boolean;
}

const counter: Decider<Command, State, Event> = {
  initialState: { count: 0, increments: 0, closed: false },
  stateVersion: 1,
  decide: (command, state) => {
    if (state.closed) return reject('ASSET.RETIRED', 'counter is closed');
    switch (command.type) {
      case 'increment':
        return accept({ type: 'counter.incremented', data: { by: command.by } });
      case 'close':
        return accept({ type: 'counter.closed', data: {} });
    }
  },
  evolve: (state, event) => {
    switch (event.type) {
      case 'counter.incremented':
        return { ...state, count: state.count + event.data.by, increments: state.increments + 1 };
      case 'counter.closed':
        return { ...state, closed: true };
    }
  },
};

const increment = (by = 1): Command => ({ type: 'increment', by });

describe('handle() against PgEventStore', () => {
  let pool: Pool;
  let store: PgEventStore;
  let schema: string;
  let dropSchema: () => Promise<void>;

  const replay = async (streamId: string): Promise<State> =>
    fold(counter, counter.initialState, (await store.readStream(streamId)).map((e) => ({ type: e.type, data: e.data }) as Event));

  beforeAll(async () => {
    pool = createTestPool(20);
    ({ schema, cleanup: dropSchema } = freshSchema(pool, 'decider'));
    await migrate(pool, schema, eventStoreMigrations(schema));
    store = new PgEventStore(pool, schema);
  });

  afterAll(async () => {
    await dropSchema?.();
    await pool?.end();
  });

  it('appends the decided events with ids derived from the command id, and metadata', async () => {
    const id = `counter-${randomUUID()}`;
    const commandId = randomUUID();
    const result = await handle(store, counter, id, increment(3), { commandId, metadata: { tenantId: 'acme', correlationId: 'c-9' } });
    expect(result).toMatchObject({ ok: true, version: 1, duplicate: false });
    const [stored] = await store.readStream(id);
    expect(stored).toMatchObject({ type: 'counter.incremented', data: { by: 3 }, metadata: { tenantId: 'acme', correlationId: 'c-9' } });
    expect(stored.id).toMatch(/^[0-9a-f]{8}-[0-9a-f]{4}-5[0-9a-f]{3}-[89ab][0-9a-f]{3}-[0-9a-f]{12}$/);
  });

  it('returns a rejection without appending anything', async () => {
    const id = `counter-${randomUUID()}`;
    await handle(store, counter, id, { type: 'close' }, { commandId: randomUUID() });
    const result = await handle(store, counter, id, increment(), { commandId: randomUUID() });
    expect(result).toEqual({ ok: false, code: 'ASSET.RETIRED', detail: 'counter is closed' });
    expect(await store.readStream(id)).toHaveLength(1);
  });

  it('lets 20 concurrent commands on one stream all succeed through conflict retry', async () => {
    const id = `counter-${randomUUID()}`;
    const results = await Promise.all(
      Array.from({ length: 20 }, (_, i) => handle(store, counter, id, increment(i + 1), { commandId: randomUUID(), maxConflictRetries: 20 })),
    );
    expect(results.every((r) => r.ok)).toBe(true);
    const versions = results.map((r) => (r.ok ? r.version : -1)).sort((x, y) => x - y);
    expect(versions).toEqual(Array.from({ length: 20 }, (_, i) => i + 1));
    const events = await store.readStream(id);
    expect(events.map((e) => e.streamVersion)).toEqual(versions);
    expect(await replay(id)).toEqual({ count: 210, increments: 20, closed: false });
  });

  it('gives up with the typed conflict once its retries are used up', async () => {
    const id = `counter-${randomUUID()}`;
    const results = await Promise.allSettled(
      Array.from({ length: 10 }, () => handle(store, counter, id, increment(), { commandId: randomUUID(), maxConflictRetries: 0 })),
    );
    const failed = results.filter((r): r is PromiseRejectedResult => r.status === 'rejected');
    const succeeded = results.filter((r) => r.status === 'fulfilled').length;
    expect(succeeded).toBeGreaterThanOrEqual(1);
    for (const r of failed) expect(r.reason).toBeInstanceOf(ConcurrencyError);
    expect((await store.readStream(id)).length).toBe(succeeded);
  });

  it('appends nothing twice for a redelivered command, even after other commands', async () => {
    const id = `counter-${randomUUID()}`;
    const commandId = randomUUID();
    const first = await handle(store, counter, id, increment(5), { commandId });
    expect(first).toMatchObject({ ok: true, version: 1, duplicate: false });

    const redelivered = await handle(store, counter, id, increment(5), { commandId });
    expect(redelivered).toMatchObject({ ok: true, version: 1, duplicate: true });

    await handle(store, counter, id, increment(1), { commandId: randomUUID() });
    const late = await handle(store, counter, id, increment(5), { commandId });
    expect(late).toMatchObject({ ok: true, version: 1, duplicate: true });

    expect(await store.readStream(id)).toHaveLength(2);
    expect(await replay(id)).toEqual({ count: 6, increments: 2, closed: false });
  });

  it('recognises a command redelivered after a snapshot covered its events', async () => {
    const id = `counter-${randomUUID()}`;
    const commandId = randomUUID();
    await handle(store, counter, id, increment(7), { commandId, snapshotEvery: 2 });
    await handle(store, counter, id, increment(1), { commandId: randomUUID(), snapshotEvery: 2 });
    expect((await store.readSnapshot(id))?.version).toBe(2);
    // load() no longer reads event 1, so only the store's event-id check can catch the redelivery.
    const again = await handle(store, counter, id, increment(7), { commandId, snapshotEvery: 2 });
    expect(again).toMatchObject({ ok: true, version: 1, duplicate: true });
    expect(await store.readStream(id)).toHaveLength(2);
    expect(await replay(id)).toEqual({ count: 8, increments: 2, closed: false });
  });

  it('answers a redelivered command as before even when the newer state would now refuse it', async () => {
    const id = `counter-${randomUUID()}`;
    const commandId = randomUUID();
    await handle(store, counter, id, increment(3), { commandId, snapshotEvery: 2 });
    await handle(store, counter, id, { type: 'close' }, { commandId: randomUUID(), snapshotEvery: 2 });
    expect((await store.readSnapshot(id))?.version).toBe(2);
    // Decided again, the increment would be refused (the counter is closed); it was applied once already.
    const again = await handle(store, counter, id, increment(3), { commandId, snapshotEvery: 2 });
    expect(again).toMatchObject({ ok: true, version: 1, duplicate: true });
    expect(await store.readStream(id)).toHaveLength(2);
  });

  it('writes snapshots every N events and load() resumes from them with the same state as a full replay', async () => {
    const id = `counter-${randomUUID()}`;
    for (let i = 1; i <= 12; i++) {
      const r = await handle(store, counter, id, increment(i), { commandId: randomUUID(), snapshotEvery: 5 });
      expect(r).toMatchObject({ ok: true, version: i });
    }
    const row = await pool.query<{ version: number; schema_version: number; state: State }>(
      `SELECT version, schema_version, state FROM ${schema}.snapshots WHERE stream_id = $1`,
      [id],
    );
    expect(row.rows).toHaveLength(1);
    expect(row.rows[0].version).toBe(10);
    expect(row.rows[0].schema_version).toBe(counter.stateVersion);
    expect(row.rows[0].state).toEqual({ count: 55, increments: 10, closed: false });

    const loaded = await load(store, counter, id);
    expect(loaded.version).toBe(12);
    expect(loaded.eventsRead).toBe(2);
    expect(loaded.state).toEqual(await replay(id));
    expect(loaded.state).toEqual({ count: 78, increments: 12, closed: false });
  });

  it('ignores a snapshot written for another state version', async () => {
    const id = `counter-${randomUUID()}`;
    for (let i = 0; i < 3; i++) await handle(store, counter, id, increment(2), { commandId: randomUUID() });
    await store.writeSnapshot({ streamId: id, version: 3, schemaVersion: counter.stateVersion + 1, state: { total: 'old shape' } });
    const loaded = await load(store, counter, id);
    expect(loaded).toMatchObject({ state: { count: 6, increments: 3, closed: false }, version: 3, eventsRead: 3 });
  });

  it('really starts from the snapshot state (not a replay) when one is usable', async () => {
    const id = `counter-${randomUUID()}`;
    for (let i = 0; i < 3; i++) await handle(store, counter, id, increment(1), { commandId: randomUUID() });
    // A deliberately different state proves load() took the snapshot instead of replaying from 0.
    await store.writeSnapshot({ streamId: id, version: 2, schemaVersion: counter.stateVersion, state: { count: 100, increments: 2, closed: false } });
    expect(await load(store, counter, id)).toMatchObject({ state: { count: 101, increments: 3, closed: false }, version: 3, eventsRead: 1 });
  });
});
