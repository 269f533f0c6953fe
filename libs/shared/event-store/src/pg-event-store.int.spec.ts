import { randomUUID } from 'node:crypto';
import type { Pool, PoolClient } from 'pg';
import { afterAll, beforeAll, describe, expect, it } from '@jest/globals';
import type { NewEvent, RecordedEvent } from '@meridian/shared/decider';
import { createTestPool, eventually, freshSchema } from '@meridian/shared/testing';
import { type AllPosition, positionOf, START } from './all-stream';
import { eventStoreConformance } from './event-store.conformance';
import { eventStoreMigrations } from './event-store.sql';
import { migrate } from './migrations';
import { PgEventStore } from './pg-event-store';

// The contract shared with every adapter (append, conflicts, idempotency, reads, snapshots,
// upcasters, $all paging) runs from the conformance suite; this file adds what only real
// PostgreSQL transactions can show: $all holding back commits that race their sequence numbers.
eventStoreConformance('PgEventStore', async () => {
  const pool = createTestPool(30);
  const { schema, cleanup } = freshSchema(pool, 'store_conformance');
  await migrate(pool, schema, eventStoreMigrations(schema));
  return {
    store: (upcasters) => new PgEventStore(pool, schema, upcasters),
    cleanup: async () => {
      await cleanup();
      await pool.end();
    },
  };
});

const event = (type = 'counter.incremented', data: unknown = { by: 1 }): NewEvent => ({
  id: randomUUID(),
  type,
  data,
  metadata: { tenantId: 'acme', correlationId: 'c-1' },
});

const stream = (name: string) => `${name}-${randomUUID()}`;

describe('PgEventStore (real PostgreSQL)', () => {
  let pool: Pool;
  let store: PgEventStore;
  let schema: string;
  let dropSchema: () => Promise<void>;

  beforeAll(async () => {
    pool = createTestPool(4);
    ({ schema, cleanup: dropSchema } = freshSchema(pool, 'store'));
    await migrate(pool, schema, eventStoreMigrations(schema));
    store = new PgEventStore(pool, schema);
  });

  afterAll(async () => {
    await dropSchema?.();
    await pool?.end();
  });

  it("appendToStreams: many streams in the caller's transaction, in order per stream after earlier ones", async () => {
    const [s1, s2] = [stream('multi'), stream('multi')];
    await store.append(s1, 'any', [event()]);
    const batch = [event('a'), event('b'), event('c'), event('d')];
    const client = await pool.connect();
    try {
      await client.query('BEGIN');
      await store.appendToStreams(
        batch.map((e, i) => ({ ...e, streamId: i % 2 === 0 ? s1 : s2 })),
        client,
      );
      await client.query('ROLLBACK');
      expect(await store.readStream(s2)).toEqual([]);
      await client.query('BEGIN');
      await store.appendToStreams(
        batch.map((e, i) => ({ ...e, streamId: i % 2 === 0 ? s1 : s2 })),
        client,
      );
      await client.query('COMMIT');
    } finally {
      client.release();
    }
    const one = await store.readStream(s1);
    const two = await store.readStream(s2);
    expect(one.map((e) => [e.type, e.streamVersion])).toEqual([
      ['counter.incremented', 1],
      ['a', 2],
      ['c', 3],
    ]);
    expect(two.map((e) => [e.type, e.streamVersion])).toEqual([
      ['b', 1],
      ['d', 2],
    ]);
    expect(two[0].metadata).toEqual({ tenantId: 'acme', correlationId: 'c-1' });
    expect(BigInt(one[1].globalPosition) < BigInt(two[0].globalPosition)).toBe(true);
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
      for (let pos = from; ;) {
        const page = await store.readAll(pos, 1000);
        if (page.length === 0) return out;
        out.push(...page);
        pos = positionOf(page[page.length - 1]);
      }
    };

    const ours = (events: readonly RecordedEvent[], ids: readonly string[]) =>
      events.filter((e) => ids.includes(e.id)).map((e) => e.id);

    it('holds back a later commit while an earlier sequence number is open, then delivers both in order', async () => {
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

    it('never skips a lower sequence number that commits after the checkpoint passed a higher one', async () => {
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
  });
});
