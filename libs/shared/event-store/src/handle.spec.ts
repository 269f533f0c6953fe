import { randomUUID } from 'node:crypto';
import { beforeEach, describe, expect, it } from '@jest/globals';
import { handle, load } from '@meridian/shared/decider';
import { counter, type CounterState, increment, replay } from './counter.fixture';
import { InMemoryEventStore } from './in-memory-event-store';

// The decider runtime's handle() loop over the in-memory store, which passes the same conformance
// suite as PgEventStore. It lives in event-store, not in decider: decider is kind:pure, and its
// specs may not import a store. Races between real connections are in handle.int.spec.ts.

describe('handle() against InMemoryEventStore', () => {
  let store: InMemoryEventStore;
  const fullReplay = async (streamId: string): Promise<CounterState> => replay(await store.readStream(streamId));

  beforeEach(() => {
    store = new InMemoryEventStore();
  });

  it('appends the decided events with ids derived from the command id, and metadata', async () => {
    const id = `counter-${randomUUID()}`;
    const commandId = randomUUID();
    const metadata = { tenantId: 'acme', correlationId: 'c-9' };
    const result = await handle(store, counter, id, increment(3), { commandId, metadata });
    expect(result).toMatchObject({ ok: true, version: 1, duplicate: false });
    const [stored] = await store.readStream(id);
    expect(stored).toMatchObject({ type: 'counter.incremented', data: { by: 3 }, metadata });
    expect(stored.id).toMatch(/^[0-9a-f]{8}-[0-9a-f]{4}-5[0-9a-f]{3}-[89ab][0-9a-f]{3}-[0-9a-f]{12}$/);
  });

  it('returns a rejection without appending anything', async () => {
    const id = `counter-${randomUUID()}`;
    await handle(store, counter, id, { type: 'close' }, { commandId: randomUUID() });
    const result = await handle(store, counter, id, increment(), { commandId: randomUUID() });
    expect(result).toEqual({ ok: false, code: 'ASSET.RETIRED', detail: 'counter is closed' });
    expect(await store.readStream(id)).toHaveLength(1);
  });

  it('refuses with REQUEST.PRECONDITION_FAILED when the stream is not at the expected version (If-Match)', async () => {
    const id = `counter-${randomUUID()}`;
    await handle(store, counter, id, increment(), { commandId: randomUUID() });
    const stale = await handle(store, counter, id, increment(), { commandId: randomUUID(), expectedVersion: 2 });
    expect(stale).toMatchObject({ ok: false, code: 'REQUEST.PRECONDITION_FAILED' });
    expect(await store.readStream(id)).toHaveLength(1);
    const commandId = randomUUID();
    const fresh = await handle(store, counter, id, increment(), { commandId, expectedVersion: 1 });
    expect(fresh).toMatchObject({ ok: true, version: 2 });
    // Redelivered, the same command is answered as before although the stream moved past version 1.
    const again = await handle(store, counter, id, increment(), { commandId, expectedVersion: 1 });
    expect(again).toMatchObject({ ok: true, version: 2, duplicate: true });
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
    expect(await fullReplay(id)).toEqual({ count: 6, increments: 2, closed: false });
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
    expect(await fullReplay(id)).toEqual({ count: 8, increments: 2, closed: false });
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
    expect(await store.readSnapshot(id)).toEqual({
      streamId: id,
      version: 10,
      schemaVersion: counter.stateVersion,
      state: { count: 55, increments: 10, closed: false },
    });

    const loaded = await load(store, counter, id);
    expect(loaded.version).toBe(12);
    expect(loaded.eventsRead).toBe(2);
    expect(loaded.state).toEqual(await fullReplay(id));
    expect(loaded.state).toEqual({ count: 78, increments: 12, closed: false });
  });

  it('ignores a snapshot written for another state version', async () => {
    const id = `counter-${randomUUID()}`;
    for (let i = 0; i < 3; i++) await handle(store, counter, id, increment(2), { commandId: randomUUID() });
    const stale = { streamId: id, version: 3, schemaVersion: counter.stateVersion + 1, state: { total: 'old shape' } };
    await store.writeSnapshot(stale);
    const loaded = await load(store, counter, id);
    expect(loaded).toMatchObject({ state: { count: 6, increments: 3, closed: false }, version: 3, eventsRead: 3 });
  });

  it('really starts from the snapshot state (not a replay) when one is usable', async () => {
    const id = `counter-${randomUUID()}`;
    for (let i = 0; i < 3; i++) await handle(store, counter, id, increment(1), { commandId: randomUUID() });
    // A deliberately different state proves load() took the snapshot instead of replaying from 0.
    const state = { count: 100, increments: 2, closed: false };
    await store.writeSnapshot({ streamId: id, version: 2, schemaVersion: counter.stateVersion, state });
    expect(await load(store, counter, id)).toMatchObject({
      state: { count: 101, increments: 3, closed: false },
      version: 3,
      eventsRead: 1,
    });
  });
});
