import { randomUUID } from 'node:crypto';
import type { Pool, PoolClient } from 'pg';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { ConcurrencyError, type NewEvent, type RecordedEvent } from '@meridian/shared/decider';
import { createTestPool, eventually, freshSchema } from '@meridian/shared/testing';
import { eventStoreMigrations } from './event-store.sql';
import { migrate } from './migrations';
import { type AllPosition, PgEventStore, positionOf, START } from './pg-event-store';

const event = (type = 'counter.incremented', data: unknown = { by: 1 }, schemaVersion?: number): NewEvent => ({
  id: randomUUID(),
  type,
  data,
  ...(schemaVersion ? { schemaVersion } : {}),
  metadata: { tenantId: 'acme', correlationId: 'c-1' },
});

const stream = (name: string) => `${name}-${randomUUID()}`;

describe('PgEventStore (real PostgreSQL)', () => {
  let pool: Pool;
  let store: PgEventStore;
  let schema: string;
  let dropSchema: () => Promise<void>;

  const countRows = async (streamId: string): Promise<number> =>
    Number((await pool.query<{ n: string }>(`SELECT count(*) AS n FROM ${schema}.events WHERE stream_id = $1`, [streamId])).rows[0].n);

  beforeAll(async () => {
    pool = createTestPool(30);
    ({ schema, cleanup: dropSchema } = freshSchema(pool, 'store'));
    await migrate(pool, schema, eventStoreMigrations(schema));
    store = new PgEventStore(pool, schema);
  });

  afterAll(async () => {
    await dropSchema?.();
    await pool?.end();
  });

  describe('optimistic concurrency', () => {
    it('lets exactly one of 50 concurrent appends to a new stream (expected 0) win', async () => {
      const id = stream('race-new');
      const results = await Promise.allSettled(Array.from({ length: 50 }, () => store.append(id, 0, [event()])));
      const won = results.filter((r) => r.status === 'fulfilled');
      const lost = results.filter((r): r is PromiseRejectedResult => r.status === 'rejected');
      expect(won).toHaveLength(1);
      expect(lost).toHaveLength(49);
      for (const r of lost) expect(r.reason).toBeInstanceOf(ConcurrencyError);
      expect(await countRows(id)).toBe(1);
      expect((await store.readStream(id)).map((e) => e.streamVersion)).toEqual([1]);
    });

    it('lets exactly one of 50 concurrent appends at the same existing version win', async () => {
      const id = stream('race-existing');
      await store.append(id, 0, [event(), event()]);
      const attempts = Array.from({ length: 50 }, () => event());
      const results = await Promise.allSettled(attempts.map((e) => store.append(id, 2, [e])));
      const winners = results.flatMap((r, i) => (r.status === 'fulfilled' ? [{ value: r.value, event: attempts[i] }] : []));
      expect(winners).toHaveLength(1);
      expect(winners[0].value).toEqual({ nextVersion: 3, duplicate: false });
      for (const r of results) if (r.status === 'rejected') expect(r.reason).toBeInstanceOf(ConcurrencyError);
      const stored = await store.readStream(id);
      expect(stored.map((e) => e.streamVersion)).toEqual([1, 2, 3]);
      expect(stored[2].id).toBe(winners[0].event.id);
      expect((await pool.query(`SELECT version FROM ${schema}.streams WHERE stream_id = $1`, [id])).rows[0].version).toBe(3);
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
      expect(await countRows(id)).toBe(2);
      // The failed 'any' and '2' attempts must not have bumped the stream version either.
      expect((await pool.query(`SELECT version FROM ${schema}.streams WHERE stream_id = $1`, [id])).rows[0].version).toBe(2);
      expect(await store.append(id, 2, [event()])).toEqual({ nextVersion: 3, duplicate: false });
    });

    it('does not report events of another stream as a duplicate', async () => {
      const a = stream('idem-a');
      const batch = [event()];
      await store.append(a, 0, batch);
      const b = stream('idem-b');
      await expect(store.append(b, 0, batch)).rejects.toThrow();
      expect(await countRows(b)).toBe(0);
      expect(await store.readStream(a)).toHaveLength(1);
    });
  });

  describe('expected version semantics', () => {
    it("'any' creates the stream and then appends at whatever version it is", async () => {
      const id = stream('any');
      expect(await store.append(id, 'any', [event(), event()])).toEqual({ nextVersion: 2, duplicate: false });
      expect(await store.append(id, 'any', [event()])).toEqual({ nextVersion: 3, duplicate: false });
      expect((await store.readStream(id)).map((e) => e.streamVersion)).toEqual([1, 2, 3]);
    });

    it('0 means the stream must not exist yet', async () => {
      const id = stream('zero');
      expect(await store.append(id, 0, [event()])).toEqual({ nextVersion: 1, duplicate: false });
      await expect(store.append(id, 0, [event()])).rejects.toBeInstanceOf(ConcurrencyError);
      expect(await countRows(id)).toBe(1);
    });

    it('n means the stream must be exactly at n', async () => {
      const id = stream('exact');
      await expect(store.append(id, 1, [event()])).rejects.toBeInstanceOf(ConcurrencyError);
      expect(await countRows(id)).toBe(0);
      await store.append(id, 0, [event(), event(), event()]);
      await expect(store.append(id, 2, [event()])).rejects.toBeInstanceOf(ConcurrencyError);
      await expect(store.append(id, 4, [event()])).rejects.toBeInstanceOf(ConcurrencyError);
      expect(await store.append(id, 3, [event()])).toEqual({ nextVersion: 4, duplicate: false });
    });

    it('refuses an empty append', async () => {
      await expect(store.append(stream('empty'), 'any', [])).rejects.toThrow(/at least one event/);
    });
  });

  describe('$all in commit-safe order', () => {
    let a: PoolClient;
    let b: PoolClient;

    beforeAll(async () => {
      a = await pool.connect();
      b = await pool.connect();
    });

    afterAll(async () => {
      await a?.query('ROLLBACK').catch(() => undefined);
      await b?.query('ROLLBACK').catch(() => undefined);
      a?.release();
      b?.release();
    });

    /** Appends inside the client's open transaction, as a service's own transaction would. */
    const appendIn = async (client: PoolClient, streamId: string, e: NewEvent): Promise<number> => {
      const { rows } = await client.query<{ v: number }>(
        `SELECT ${schema}.append_events($1, $2, $3::uuid[], $4::text[], $5::int[], $6::jsonb[], $7::jsonb[]) AS v`,
        [streamId, -1, [e.id], [e.type], [1], [JSON.stringify(e.data)], [JSON.stringify(e.metadata ?? {})]],
      );
      return rows[0].v;
    };

    /** Reads `$all` to the end from a position, in pages, as the relay does. */
    const readFrom = async (from: AllPosition): Promise<RecordedEvent[]> => {
      const out: RecordedEvent[] = [];
      for (let pos = from; ; ) {
        const page = await store.readAll(pos, 1000);
        if (page.length === 0) return out;
        out.push(...page);
        pos = positionOf(page[page.length - 1]);
      }
    };

    const ours = (events: readonly RecordedEvent[], ids: readonly string[]) => events.filter((e) => ids.includes(e.id)).map((e) => e.id);

    it('holds back a later commit while an earlier sequence number is still uncommitted, then delivers both in order', async () => {
      const tail = await readFrom(START);
      const checkpoint = tail.length ? positionOf(tail[tail.length - 1]) : START;
      const ea = event('t.a');
      const eb = event('t.b');

      await a.query('BEGIN');
      await appendIn(a, stream('ooo-a'), ea); // takes the lower global_position, stays open
      await b.query('BEGIN');
      await appendIn(b, stream('ooo-b'), eb);
      await b.query('COMMIT');

      // B is committed and visible to plain SELECTs, but $all must not hand it out while A may still commit before it.
      const committed = await pool.query(`SELECT 1 FROM ${schema}.events WHERE event_id = $1`, [eb.id]);
      expect(committed.rowCount).toBe(1);
      expect(ours(await readFrom(checkpoint), [ea.id, eb.id])).toEqual([]);

      await a.query('COMMIT');
      const after = await eventually(async () => {
        const events = await readFrom(checkpoint);
        expect(ours(events, [ea.id, eb.id])).toEqual([ea.id, eb.id]);
        return events;
      });
      const [ra, rb] = [after.find((e) => e.id === ea.id), after.find((e) => e.id === eb.id)];
      expect(BigInt(ra?.globalPosition ?? 0)).toBeLessThan(BigInt(rb?.globalPosition ?? 0));
      expect(BigInt(ra?.transactionId ?? 0)).toBeLessThan(BigInt(rb?.transactionId ?? 0));
    });

    it('never skips an event that took a lower sequence number but committed after the checkpoint moved past a higher one', async () => {
      const tail = await readFrom(START);
      const start = tail.length ? positionOf(tail[tail.length - 1]) : START;
      const ea = event('t.a');
      const eb = event('t.b');

      // B's transaction id is older than A's, but A takes its sequence number first and commits last.
      await b.query('BEGIN');
      await b.query('SELECT pg_current_xact_id()');
      await a.query('BEGIN');
      await appendIn(a, stream('skip-a'), ea);
      await appendIn(b, stream('skip-b'), eb);
      await b.query('COMMIT');

      const first = await eventually(async () => {
        const events = await readFrom(start);
        expect(ours(events, [ea.id, eb.id])).toEqual([eb.id]);
        return events;
      });
      const checkpoint = positionOf(first[first.length - 1]);
      const rb = first.find((e) => e.id === eb.id);

      await a.query('COMMIT');
      const second = await eventually(async () => {
        const events = await readFrom(checkpoint);
        expect(ours(events, [ea.id, eb.id])).toEqual([ea.id]);
        return events;
      });
      const ra = second.find((e) => e.id === ea.id);
      // A reader ordered by the sequence alone would have moved past A's position and lost it.
      expect(BigInt(ra?.globalPosition ?? 0)).toBeLessThan(BigInt(rb?.globalPosition ?? 0));
    });

    it('returns nothing from an uncommitted or rolled-back transaction', async () => {
      const tail = await readFrom(START);
      const checkpoint = tail.length ? positionOf(tail[tail.length - 1]) : START;
      const ghost = event('t.ghost');
      await a.query('BEGIN');
      await appendIn(a, stream('ghost'), ghost);
      expect(ours(await readFrom(checkpoint), [ghost.id])).toEqual([]);
      await a.query('ROLLBACK');
      const later = event('t.later');
      await store.append(stream('later'), 'any', [later]);
      await eventually(async () => expect(ours(await readFrom(checkpoint), [ghost.id, later.id])).toEqual([later.id]));
    });

    it('pages through $all with a limit and resumes from a saved checkpoint', async () => {
      const tail = await readFrom(START);
      const begin = tail.length ? positionOf(tail[tail.length - 1]) : START;
      const ids: string[] = [];
      for (let i = 0; i < 5; i++) {
        const e = event();
        ids.push(e.id);
        await store.append(stream('page'), 0, [e]);
      }
      const firstPage = await eventually(async () => {
        const page = await store.readAll(begin, 3);
        expect(page.map((e) => e.id)).toEqual(ids.slice(0, 3));
        return page;
      });
      await store.saveCheckpoint('pager', positionOf(firstPage[2]));
      const resumed = await store.loadCheckpoint('pager');
      expect(resumed).toEqual(positionOf(firstPage[2]));
      expect((await store.readAll(resumed, 100)).map((e) => e.id)).toEqual(ids.slice(3));
      expect(await store.loadCheckpoint('never-saved')).toEqual(START);
    });
  });

  describe('reading streams, snapshots and upcasters', () => {
    it('reads a stream forward after a version, with metadata', async () => {
      const id = stream('read');
      const batch = [event('x', { n: 1 }), event('x', { n: 2 }), event('x', { n: 3 }), event('x', { n: 4 }), event('x', { n: 5 })];
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

    it('keeps the newest snapshot: an older one never overwrites it', async () => {
      const id = stream('snap');
      expect(await store.readSnapshot(id)).toBeNull();
      await store.writeSnapshot({ streamId: id, version: 5, schemaVersion: 1, state: { count: 5 } });
      expect(await store.readSnapshot(id)).toEqual({ streamId: id, version: 5, schemaVersion: 1, state: { count: 5 } });
      await store.writeSnapshot({ streamId: id, version: 3, schemaVersion: 1, state: { count: 3 } });
      expect(await store.readSnapshot(id)).toEqual({ streamId: id, version: 5, schemaVersion: 1, state: { count: 5 } });
      await store.writeSnapshot({ streamId: id, version: 5, schemaVersion: 2, state: { total: 5 } });
      expect((await store.readSnapshot(id))?.schemaVersion).toBe(1);
      await store.writeSnapshot({ streamId: id, version: 8, schemaVersion: 2, state: { total: 8 } });
      expect(await store.readSnapshot(id)).toEqual({ streamId: id, version: 8, schemaVersion: 2, state: { total: 8 } });
    });

    it('applies upcasters, chained, on readStream and readAll', async () => {
      const upcasting = new PgEventStore(pool, schema, {
        'asset.named@1': (data) => ({ schemaVersion: 2, data: { name: (data as { title: string }).title } }),
        'asset.named@2': (data) => ({ schemaVersion: 3, data: { ...(data as object), locale: 'en' } }),
      });
      const id = stream('upcast');
      const v1 = event('asset.named', { title: 'Old' }, 1);
      const v2 = event('asset.named', { name: 'Mid' }, 2);
      const v3 = event('asset.named', { name: 'New', locale: 'fr' }, 3);
      const other = event('asset.moved', { title: 'untouched' }, 1);
      const tail = await store.readAll(START, 100_000);
      const checkpoint = tail.length ? positionOf(tail[tail.length - 1]) : START;
      await upcasting.append(id, 0, [v1, v2, v3, other]);

      const read = await upcasting.readStream(id);
      expect(read.map((e) => [e.schemaVersion, e.data])).toEqual([
        [3, { name: 'Old', locale: 'en' }],
        [3, { name: 'Mid', locale: 'en' }],
        [3, { name: 'New', locale: 'fr' }],
        [1, { title: 'untouched' }],
      ]);
      const all = await eventually(async () => {
        const page = await upcasting.readAll(checkpoint, 100);
        expect(page).toHaveLength(4);
        return page;
      });
      expect(all[0]).toMatchObject({ id: v1.id, schemaVersion: 3, data: { name: 'Old', locale: 'en' } });
      // The stored row is unchanged: upcasting happens on read only.
      expect((await store.readStream(id))[0]).toMatchObject({ schemaVersion: 1, data: { title: 'Old' } });
    });
  });
});
