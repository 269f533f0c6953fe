import { randomUUID } from 'node:crypto';
import { afterAll, beforeAll, describe, expect, it } from '@jest/globals';
import { ConcurrencyError, type EventStore, type NewEvent, type RecordedEvent } from '@meridian/shared/decider';
import { eventually } from '@meridian/shared/testing';
import { type AllPosition, type AllStreamReader, positionOf, START } from './all-stream';
import type { Upcasters } from './upcasting';

export type ConformingStore = EventStore & AllStreamReader;

export interface ConformanceSubject {
  /** A store over the subject's data; every call sees the same events, read through these upcasters. */
  readonly store: (upcasters?: Upcasters) => ConformingStore;
  readonly cleanup?: () => Promise<void>;
}

/**
 * The contract every EventStore adapter passes (DESIGN §3): appends with an expected version,
 * typed conflicts, idempotency by event id, stream reads, snapshots, upcasters, and `$all` with
 * named checkpoints. Call it from a spec file with a factory that gives a fresh, empty store.
 * Concurrency-order properties of `$all` (commits racing sequence numbers) are the Postgres
 * store's own tests: they need real transactions.
 */
export function eventStoreConformance(
  name: string,
  factory: () => Promise<ConformanceSubject> | ConformanceSubject,
): void {
  describe(`${name} conforms to the event store contract`, () => {
    let subject: ConformanceSubject;
    let store: ConformingStore;

    beforeAll(async () => {
      subject = await factory();
      store = subject.store();
    });

    afterAll(async () => {
      await subject?.cleanup?.();
    });

    const versions = async (streamId: string): Promise<number[]> =>
      (await store.readStream(streamId)).map((e) => e.streamVersion);

    /** Reads `$all` to its end after a position (a store may hold back recent commits for a moment). */
    const tailOf = async (): Promise<AllPosition> => {
      let position = START;
      for (
        let page = await store.readAll(position, 1000);
        page.length > 0;
        page = await store.readAll(position, 1000)
      ) {
        position = positionOf(page[page.length - 1]);
      }
      return position;
    };

    describe('optimistic concurrency', () => {
      it('lets exactly one of 50 concurrent appends to a new stream (expected 0) win', async () => {
        const id = stream('race-new');
        const results = await Promise.allSettled(Array.from({ length: 50 }, () => store.append(id, 0, [event()])));
        const won = results.filter((r) => r.status === 'fulfilled');
        const lost = results.filter((r): r is PromiseRejectedResult => r.status === 'rejected');
        expect(won).toHaveLength(1);
        expect(lost).toHaveLength(49);
        for (const r of lost) expect(r.reason).toBeInstanceOf(ConcurrencyError);
        expect(await versions(id)).toEqual([1]);
      });

      it('lets exactly one of 50 concurrent appends at the same existing version win', async () => {
        const id = stream('race-existing');
        await store.append(id, 0, [event(), event()]);
        const attempts = Array.from({ length: 50 }, () => event());
        const results = await Promise.allSettled(attempts.map((e) => store.append(id, 2, [e])));
        const winners = results.flatMap((r, i) =>
          r.status === 'fulfilled' ? [{ value: r.value, event: attempts[i] }] : [],
        );
        expect(winners).toHaveLength(1);
        expect(winners[0].value).toEqual({ nextVersion: 3, duplicate: false });
        for (const r of results) if (r.status === 'rejected') expect(r.reason).toBeInstanceOf(ConcurrencyError);
        const stored = await store.readStream(id);
        expect(stored.map((e) => e.streamVersion)).toEqual([1, 2, 3]);
        expect(stored[2].id).toBe(winners[0].event.id);
      });

      it('carries the stream and expected version in the typed conflict error', async () => {
        const id = stream('conflict');
        await store.append(id, 0, [event()]);
        const err = await store.append(id, 0, [event()]).catch((e: unknown) => e);
        expect(err).toBeInstanceOf(ConcurrencyError);
        expect(err).toMatchObject({ code: 'STREAM.CONCURRENCY_CONFLICT', streamId: id, expected: 0 });
      });
    });

    describe('idempotency by event id', () => {
      it('treats a re-append of the same events as a duplicate, whatever version it expects', async () => {
        const id = stream('idem');
        const batch = [event(), event()];
        expect(await store.append(id, 0, batch)).toEqual({ nextVersion: 2, duplicate: false });
        // A retry with the original expected version, with 'any', and with the version it produced.
        expect(await store.append(id, 0, batch)).toEqual({ nextVersion: 2, duplicate: true });
        expect(await store.append(id, 'any', batch)).toEqual({ nextVersion: 2, duplicate: true });
        expect(await store.append(id, 2, batch)).toEqual({ nextVersion: 2, duplicate: true });
        expect(await versions(id)).toEqual([1, 2]);
        // The refused 'any' and '2' attempts must not have moved the stream version either.
        expect(await store.append(id, 2, [event()])).toEqual({ nextVersion: 3, duplicate: false });
      });

      it('does not report events of another stream as a duplicate', async () => {
        const a = stream('idem-a');
        const batch = [event()];
        await store.append(a, 0, batch);
        const b = stream('idem-b');
        await expect(store.append(b, 0, batch)).rejects.toBeInstanceOf(ConcurrencyError);
        expect(await store.readStream(b)).toEqual([]);
        expect(await store.readStream(a)).toHaveLength(1);
      });

      it('appends nothing of a batch when one of its ids is already stored', async () => {
        const id = stream('idem-partial');
        const first = event();
        await store.append(id, 0, [first]);
        await expect(store.append(id, 1, [event(), first])).rejects.toBeInstanceOf(ConcurrencyError);
        expect(await versions(id)).toEqual([1]);
      });
    });

    describe('expected version semantics', () => {
      it("'any' creates the stream and then appends at whatever version it is", async () => {
        const id = stream('any');
        expect(await store.append(id, 'any', [event(), event()])).toEqual({ nextVersion: 2, duplicate: false });
        expect(await store.append(id, 'any', [event()])).toEqual({ nextVersion: 3, duplicate: false });
        expect(await versions(id)).toEqual([1, 2, 3]);
      });

      it('0 means the stream must not exist yet', async () => {
        const id = stream('zero');
        expect(await store.append(id, 0, [event()])).toEqual({ nextVersion: 1, duplicate: false });
        await expect(store.append(id, 0, [event()])).rejects.toBeInstanceOf(ConcurrencyError);
        expect(await versions(id)).toEqual([1]);
      });

      it('n means the stream must be exactly at n', async () => {
        const id = stream('exact');
        await expect(store.append(id, 1, [event()])).rejects.toBeInstanceOf(ConcurrencyError);
        expect(await versions(id)).toEqual([]);
        await store.append(id, 0, [event(), event(), event()]);
        await expect(store.append(id, 2, [event()])).rejects.toBeInstanceOf(ConcurrencyError);
        await expect(store.append(id, 4, [event()])).rejects.toBeInstanceOf(ConcurrencyError);
        expect(await store.append(id, 3, [event()])).toEqual({ nextVersion: 4, duplicate: false });
      });

      it('refuses an empty append, and an event id that is not a UUID', async () => {
        await expect(store.append(stream('empty'), 'any', [])).rejects.toThrow(/at least one event/);
        const id = stream('not-uuid');
        await expect(store.append(id, 'any', [{ ...event(), id: 'not-a-uuid' }])).rejects.toThrow();
        expect(await store.readStream(id)).toEqual([]);
      });
    });

    describe('reading streams', () => {
      it('reads a stream forward after a version, with metadata', async () => {
        const id = stream('read');
        const batch = [1, 2, 3, 4, 5].map((n) => event('x', { n }));
        await store.append(id, 0, batch);
        const all = await store.readStream(id);
        expect(all.map((e) => e.data)).toEqual([{ n: 1 }, { n: 2 }, { n: 3 }, { n: 4 }, { n: 5 }]);
        expect(all[0]).toMatchObject({ streamId: id, streamVersion: 1, id: batch[0].id, type: 'x', schemaVersion: 1 });
        expect(all[0].metadata).toEqual({ tenantId: 'acme', correlationId: 'c-1' });
        expect(all[0].recordedAt).toBeInstanceOf(Date);
        const after2 = await store.readStream(id, 2);
        expect(after2.map((e) => e.streamVersion)).toEqual([3, 4, 5]);
        expect(after2.map((e) => e.id)).toEqual(batch.slice(2).map((e) => e.id));
        expect(await store.readStream(id, 5)).toEqual([]);
        expect(await store.readStream(stream('missing'))).toEqual([]);
      });

      it('stores data and metadata as JSON: later changes to the objects appended or read change nothing', async () => {
        const id = stream('json');
        const data = { n: 1, at: new Date('2026-01-02T03:04:05.000Z'), gone: undefined, nested: { list: [1, 2] } };
        const appended: NewEvent = { id: randomUUID(), type: 'x', data, metadata: { tenantId: 'acme' } };
        await store.append(id, 0, [appended]);
        data.nested.list.push(3);
        const [first] = await store.readStream(id);
        expect(first.data).toEqual({ n: 1, at: '2026-01-02T03:04:05.000Z', nested: { list: [1, 2] } });
        expect(first.metadata).toEqual({ tenantId: 'acme' });
        expect(first.schemaVersion).toBe(1);
        (first.data as { n: number }).n = 99;
        expect((await store.readStream(id))[0].data).toMatchObject({ n: 1 });
      });

      it('loads the lean events that rebuild an aggregate, after a version', async () => {
        const id = stream('load');
        const batch = [event('a', { n: 1 }), event('b', { n: 2 }), event('c', { n: 3 })];
        await store.append(id, 0, batch);
        expect(await store.loadEvents(id, 0)).toEqual(
          batch.map((e, i) => ({ id: e.id, streamVersion: i + 1, type: e.type, data: e.data })),
        );
        expect(await store.loadEvents(id, 1)).toEqual([
          { id: batch[1].id, streamVersion: 2, type: 'b', data: { n: 2 } },
          { id: batch[2].id, streamVersion: 3, type: 'c', data: { n: 3 } },
        ]);
        expect(await store.loadEvents(id, 3)).toEqual([]);
        expect(await store.loadEvents(stream('missing'), 0)).toEqual([]);
      });

      it('finds the stream version of an event id, only within its own stream', async () => {
        const id = stream('version-of');
        const batch = [event(), event(), event()];
        await store.append(id, 0, batch.slice(0, 1));
        await store.append(id, 1, batch.slice(1));
        expect(await store.versionOfEvent(id, batch[0].id)).toBe(1);
        expect(await store.versionOfEvent(id, batch[2].id)).toBe(3);
        expect(await store.versionOfEvent(stream('other'), batch[2].id)).toBeNull();
        expect(await store.versionOfEvent(id, randomUUID())).toBeNull();
      });
    });

    describe('snapshots', () => {
      it('keeps the newest snapshot: an older one never overwrites it', async () => {
        const id = stream('snap');
        expect(await store.readSnapshot(id)).toBeNull();
        await store.writeSnapshot({ streamId: id, version: 5, schemaVersion: 1, state: { count: 5 } });
        expect(await store.readSnapshot(id)).toEqual({
          streamId: id,
          version: 5,
          schemaVersion: 1,
          state: { count: 5 },
        });
        await store.writeSnapshot({ streamId: id, version: 3, schemaVersion: 1, state: { count: 3 } });
        expect(await store.readSnapshot(id)).toEqual({
          streamId: id,
          version: 5,
          schemaVersion: 1,
          state: { count: 5 },
        });
        await store.writeSnapshot({ streamId: id, version: 5, schemaVersion: 2, state: { total: 5 } });
        expect((await store.readSnapshot(id))?.schemaVersion).toBe(1);
        await store.writeSnapshot({ streamId: id, version: 8, schemaVersion: 2, state: { total: 8 } });
        expect(await store.readSnapshot(id)).toEqual({
          streamId: id,
          version: 8,
          schemaVersion: 2,
          state: { total: 8 },
        });
        expect(await store.readSnapshot(stream('no-snap'))).toBeNull();
      });

      it('loads a stream in one read: the snapshot of the asked state version and the events after it', async () => {
        const id = stream('load-stream');
        const batch = [event('a', { n: 1 }), event('b', { n: 2 }), event('c', { n: 3 })];
        await store.append(id, 0, batch);
        const lean = batch.map((e, i) => ({ id: e.id, streamVersion: i + 1, type: e.type, data: e.data }));
        expect(await store.loadStream(id, 1)).toEqual({ snapshot: null, events: lean });
        await store.writeSnapshot({ streamId: id, version: 2, schemaVersion: 1, state: { sum: 3 } });
        expect(await store.loadStream(id, 1)).toEqual({
          snapshot: { streamId: id, version: 2, schemaVersion: 1, state: { sum: 3 } },
          events: lean.slice(2),
        });
        // A snapshot of another state version is unusable: every event is read instead.
        expect(await store.loadStream(id, 2)).toEqual({ snapshot: null, events: lean });
        expect(await store.loadStream(stream('missing'), 1)).toEqual({ snapshot: null, events: [] });
      });

      it('answers concurrent loads of many streams (and of one stream twice) each with its own stream', async () => {
        const ids = Array.from({ length: 40 }, (_, i) => stream(`load-many-${i}`));
        await Promise.all(
          ids.map((id, i) =>
            store.append(
              id,
              0,
              Array.from({ length: (i % 3) + 1 }, () => event()),
            ),
          ),
        );
        await store.writeSnapshot({ streamId: ids[4], version: 1, schemaVersion: 1, state: { at: 1 } });
        const asked = [...ids, ids[4], ids[7]];
        const loads = await Promise.all(asked.map((id) => store.loadStream(id, 1)));
        const stored = new Map(await Promise.all(ids.map(async (id) => [id, await store.readStream(id)] as const)));
        loads.forEach((load, i) => {
          const fromSnapshot = asked[i] === ids[4];
          expect(load.snapshot?.version ?? 0).toBe(fromSnapshot ? 1 : 0);
          // Each load holds its own stream's events — ids, versions and data — nobody else's.
          const own = (stored.get(asked[i]) ?? []).filter((e) => !fromSnapshot || e.streamVersion > 1);
          expect(load.events).toEqual(
            own.map((e) => ({ id: e.id, streamVersion: e.streamVersion, type: e.type, data: e.data })),
          );
        });
      });
    });

    describe('upcasters', () => {
      it('applies upcasters, chained, on every read; the stored event stays as written', async () => {
        const upcasting = subject.store({
          'asset.named@1': (data) => ({ schemaVersion: 2, data: { name: (data as { title: string }).title } }),
          'asset.named@2': (data) => ({ schemaVersion: 3, data: { ...(data as object), locale: 'en' } }),
        });
        const id = stream('upcast');
        const v1 = event('asset.named', { title: 'Old' }, 1);
        const v2 = event('asset.named', { name: 'Mid' }, 2);
        const v3 = event('asset.named', { name: 'New', locale: 'fr' }, 3);
        const other = event('asset.moved', { title: 'untouched' }, 1);
        const checkpoint = await tailOf();
        await upcasting.append(id, 0, [v1, v2, v3, other]);

        const read = await upcasting.readStream(id);
        expect(read.map((e) => [e.schemaVersion, e.data])).toEqual([
          [3, { name: 'Old', locale: 'en' }],
          [3, { name: 'Mid', locale: 'en' }],
          [3, { name: 'New', locale: 'fr' }],
          [1, { title: 'untouched' }],
        ]);
        expect((await upcasting.loadEvents(id, 0)).map((e) => e.data)).toEqual(read.map((e) => e.data));
        expect((await upcasting.loadStream(id, 1)).events.map((e) => e.data)).toEqual(read.map((e) => e.data));
        const all = await eventually(async () => {
          const page = await upcasting.readAll(checkpoint, 100);
          expect(page.map((e) => e.id)).toEqual([v1.id, v2.id, v3.id, other.id]);
          return page;
        });
        expect(all[0]).toMatchObject({ id: v1.id, schemaVersion: 3, data: { name: 'Old', locale: 'en' } });
        // Upcasting happens on read only: a store without upcasters sees the event as written.
        expect((await store.readStream(id))[0]).toMatchObject({ schemaVersion: 1, data: { title: 'Old' } });
      });
    });

    describe('$all and checkpoints', () => {
      it('reads $all in append order, pages with a limit and resumes from a saved checkpoint', async () => {
        const begin = await tailOf();
        const ids: string[] = [];
        const streams = [stream('page-a'), stream('page-b')];
        for (let i = 0; i < 6; i++) {
          const e = event();
          ids.push(e.id);
          await store.append(streams[i % 2], 'any', [e]);
        }
        const firstPage = await eventually(async () => {
          const page = await store.readAll(begin, 3);
          expect(page.map((e) => e.id)).toEqual(ids.slice(0, 3));
          return page;
        });
        expect(firstPage.map((e) => e.streamId)).toEqual([streams[0], streams[1], streams[0]]);
        await store.saveCheckpoint('pager', positionOf(firstPage[2]));
        const resumed = await store.loadCheckpoint('pager');
        expect(resumed).toEqual(positionOf(firstPage[2]));
        await eventually(async () =>
          expect((await store.readAll(resumed, 100)).map((e) => e.id)).toEqual(ids.slice(3)),
        );
        expect(await store.loadCheckpoint('never-saved')).toEqual(START);
      });

      it('gives the events of one append one transaction id, in stream order', async () => {
        const begin = await tailOf();
        const id = stream('one-tx');
        const batch = [event(), event(), event()];
        await store.append(id, 0, batch);
        const read = await eventually(async () => {
          const page: readonly RecordedEvent[] = await store.readAll(begin, 100);
          expect(page.map((e) => e.id)).toEqual(batch.map((e) => e.id));
          return page;
        });
        expect(new Set(read.map((e) => e.transactionId)).size).toBe(1);
        const positions = read.map((e) => BigInt(e.globalPosition));
        expect(positions.every((p, i) => i === 0 || p > positions[i - 1])).toBe(true);
        expect(read.map((e) => e.streamVersion)).toEqual([1, 2, 3]);
      });
    });
  });
}

const event = (type = 'counter.incremented', data: unknown = { by: 1 }, schemaVersion?: number): NewEvent => ({
  id: randomUUID(),
  type,
  data,
  ...(schemaVersion ? { schemaVersion } : {}),
  metadata: { tenantId: 'acme', correlationId: 'c-1' },
});

const stream = (name: string): string => `${name}-${randomUUID()}`;
