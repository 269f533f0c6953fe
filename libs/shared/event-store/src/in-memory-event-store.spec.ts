import { randomUUID } from 'node:crypto';
import { describe, expect, it } from '@jest/globals';
import { eventStoreConformance } from './event-store.conformance';
import { InMemoryEventStore } from './in-memory-event-store';

eventStoreConformance('InMemoryEventStore', () => {
  const store = new InMemoryEventStore();
  return { store: (upcasters) => (upcasters ? store.withUpcasters(upcasters) : store) };
});

describe('InMemoryEventStore', () => {
  it('stamps events with the time of its clock', async () => {
    const at = new Date('2026-11-28T10:00:00.000Z');
    const store = new InMemoryEventStore({ clock: () => at });
    await store.append('s-1', 0, [{ id: randomUUID(), type: 'x', data: {} }]);
    expect((await store.readStream('s-1'))[0].recordedAt).toEqual(at);
  });

  it('keeps separate instances apart', async () => {
    const a = new InMemoryEventStore();
    const b = new InMemoryEventStore();
    await a.append('s-1', 0, [{ id: randomUUID(), type: 'x', data: {} }]);
    expect(await b.readStream('s-1')).toEqual([]);
    expect(await b.append('s-1', 0, [{ id: randomUUID(), type: 'x', data: {} }])).toEqual({
      nextVersion: 1,
      duplicate: false,
    });
  });
});
