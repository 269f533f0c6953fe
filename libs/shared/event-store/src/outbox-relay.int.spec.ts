import { randomUUID } from 'node:crypto';
import type { Pool } from 'pg';
import { afterAll, beforeAll, describe, expect, it } from '@jest/globals';
import type { NewEvent, RecordedEvent } from '@meridian/shared/decider';
import { type MessageBus, outboxPublisher, Subscription } from '@meridian/shared/messaging';
import {
  consumeAll,
  createTestBus,
  createTestPool,
  createTopics,
  deleteTopics,
  eventually,
  freshSchema,
  uniqueTopic,
} from '@meridian/shared/testing';
import { silentLog, sleep } from '@meridian/shared/util';
import { eventStoreMigrations } from './event-store.sql';
import { migrate } from './migrations';
import { positionOf } from './all-stream';
import { OutboxRelay, type Publish } from './outbox-relay';
import { PgEventStore } from './pg-event-store';

const STREAMS = 200;
const PER_STREAM = 10;
const N = STREAMS * PER_STREAM;
const BATCH = 100;
const CRASH_AFTER_BATCHES = 3;

const streamIds = Array.from({ length: STREAMS }, (_, i) => `relay-${i}-${randomUUID().slice(0, 8)}`);

const newEvent = (streamId: string, n: number): NewEvent => ({
  id: randomUUID(),
  type: 'counter.incremented',
  data: { n },
  metadata: { tenantId: 'acme', correlationId: `corr-${streamId}` },
});

describe('OutboxRelay to Kafka (real PostgreSQL and broker)', () => {
  let pool: Pool;
  let store: PgEventStore;
  let schema: string;
  let dropSchema: () => Promise<void>;
  let bus: MessageBus;
  let topic: string;
  const relays: OutboxRelay[] = [];
  let consumer: Subscription | null = null;

  const publisherTo = (t: string): Publish =>
    outboxPublisher(bus, {
      service: 'relay-test',
      topic: t,
      map: (e) => ({
        key: e.streamId,
        type: 'meridian.test.counted.v1',
        dataschema: 'https://schemas.meridian.dev/test/counted.json',
        data: { streamVersion: e.streamVersion, n: (e.data as { n: number }).n },
      }),
    });

  /** Appends `count` events to every stream, 1–3 per append, many appends in flight at once. */
  const appendRound = async (from: number, count: number): Promise<void> => {
    await Promise.all(
      streamIds.map(async (id) => {
        for (let n = from; n < from + count;) {
          const size = Math.min(1 + (n % 3), from + count - n);
          await store.append(
            id,
            'any',
            Array.from({ length: size }, (_, k) => newEvent(id, n + k)),
          );
          n += size;
        }
      }),
    );
  };

  const total = async (name: string): Promise<number> =>
    (await pool.query<{ n: number }>(`SELECT n FROM ${schema}.consumer_totals WHERE name = $1`, [name])).rows[0].n;

  beforeAll(async () => {
    pool = createTestPool(20);
    ({ schema, cleanup: dropSchema } = freshSchema(pool, 'relay'));
    await migrate(pool, schema, eventStoreMigrations(schema));
    await pool.query(`
      CREATE TABLE ${schema}.applied (
        event_id uuid PRIMARY KEY, stream_id text NOT NULL, deliveries int NOT NULL DEFAULT 1
      );
      CREATE TABLE ${schema}.effects (stream_id text PRIMARY KEY, n int NOT NULL);
      CREATE TABLE ${schema}.consumer_totals (name text PRIMARY KEY, n int NOT NULL);
      INSERT INTO ${schema}.consumer_totals VALUES ('applied', 0), ('skipped', 0);`);
    store = new PgEventStore(pool, schema);
    bus = createTestBus('relay-int');
    topic = uniqueTopic('relay');
    await createTopics(bus, [topic, `${topic}.dlq`], 3);
  });

  afterAll(async () => {
    await Promise.allSettled(relays.map((r) => r.stop()));
    await consumer?.stop().catch(() => undefined);
    if (bus) {
      await deleteTopics(bus, [topic, `${topic}.dlq`]);
      await bus.close();
    }
    await dropSchema?.();
    await pool?.end();
  });

  it('delivers every event after a crash between publish and checkpoint, each applied once', async () => {
    // The consumer's dedup record, its effect and the counters commit together: one statement is one
    // transaction (a single round trip keeps 2,100 deliveries fast on a loaded 2-core machine).
    consumer = new Subscription(bus, {
      groupId: `relay-consumer-${randomUUID()}`,
      topics: [topic],
      fromBeginning: true,
      log: silentLog,
    });
    await consumer.run(async (envelope) => {
      await pool.query(
        `WITH delivery AS (
           INSERT INTO ${schema}.applied (event_id, stream_id) VALUES ($1, $2)
           ON CONFLICT (event_id) DO UPDATE SET deliveries = ${schema}.applied.deliveries + 1
           RETURNING deliveries = 1 AS first
         ), effect AS (
           INSERT INTO ${schema}.effects (stream_id, n) SELECT $2, 1 FROM delivery WHERE first
           ON CONFLICT (stream_id) DO UPDATE SET n = ${schema}.effects.n + 1
         )
         UPDATE ${schema}.consumer_totals SET n = n + 1
         WHERE name = (SELECT CASE WHEN first THEN 'applied' ELSE 'skipped' END FROM delivery)`,
        [envelope.id, envelope.correlationId], // the publisher's correlation id names the stream here
      );
    });

    await appendRound(0, PER_STREAM / 2);

    // First relay: publishes batches, then "dies" after publishing batch 3 but before checkpointing it.
    const publish = publisherTo(topic);
    const publishedBy1: RecordedEvent[][] = [];
    let crashed = false;
    const crashing: Publish = async (events) => {
      if (crashed) throw new Error('process is dead');
      await publish(events);
      publishedBy1.push([...events]);
      if (publishedBy1.length === CRASH_AFTER_BATCHES) {
        crashed = true;
        throw new Error('crash after the broker acknowledged, before the checkpoint');
      }
    };
    const relay1 = new OutboxRelay(pool, store, crashing, { name: 'main', batchSize: BATCH, idleDelayMs: 10 });
    relays.push(relay1);
    relay1.start();

    const writing = appendRound(PER_STREAM / 2, PER_STREAM / 2); // the rest arrives while relays run
    await eventually(() => expect(crashed).toBe(true), { timeoutMs: 20_000 });
    await relay1.stop();
    expect(relay1.published).toBe((CRASH_AFTER_BATCHES - 1) * BATCH);
    const unCheckpointed = publishedBy1[CRASH_AFTER_BATCHES - 1].map((e) => e.id);
    expect(unCheckpointed).toHaveLength(BATCH);

    // A new process with the same relay name resumes from the last checkpoint.
    const relay2 = new OutboxRelay(pool, store, publish, { name: 'main', batchSize: BATCH, idleDelayMs: 10 });
    relays.push(relay2);
    relay2.start();
    await writing;

    const stored = await pool.query<{ event_id: string }>(`SELECT event_id FROM ${schema}.events`);
    expect(stored.rowCount).toBe(N);
    const storedIds = new Set(stored.rows.map((r) => r.event_id));

    const messages = await consumeAll(bus, topic, N + BATCH, 60_000).catch(async (err: Error) => {
      // Say where it stalled: relay behind the store (xmin held by a foreign transaction?) or broker.
      const { rows } = await pool.query<{ xmin: string; newest: string }>(
        `SELECT pg_snapshot_xmin(pg_current_snapshot())::text AS xmin, max(transaction_id)::text AS newest
         FROM ${schema}.events`,
      );
      const checkpoint = await store.loadCheckpoint('main');
      throw new Error(
        `${err.message}; relay2 published ${relay2.published}, checkpoint ${JSON.stringify(checkpoint)}, ` +
          `xmin ${rows[0].xmin}, newest tx ${rows[0].newest}`,
      );
    });
    const ids = messages.map((m) => m.wire.headers['ce_id']);
    expect(new Set(ids).size).toBe(N);
    expect(new Set(ids)).toEqual(storedIds);
    // Exactly the un-checkpointed batch went out twice: at-least-once, not at-random.
    const counts = new Map<string, number>();
    for (const id of ids) counts.set(id, (counts.get(id) ?? 0) + 1);
    const twice = [...counts].filter(([, c]) => c > 1).map(([id]) => id);
    expect(twice.sort()).toEqual([...unCheckpointed].sort());
    expect(messages).toHaveLength(N + BATCH);

    // Per aggregate, first deliveries arrive in stream order (same key, same partition, relay order).
    const firstSeen = new Map<string, number[]>();
    const seen = new Set<string>();
    for (const m of messages) {
      const id = m.wire.headers['ce_id'];
      if (seen.has(id)) continue;
      seen.add(id);
      const key = m.wire.key ?? '';
      const versions = firstSeen.get(key) ?? [];
      versions.push((m.envelope?.data as { streamVersion: number }).streamVersion);
      firstSeen.set(key, versions);
    }
    expect(firstSeen.size).toBe(STREAMS);
    for (const versions of firstSeen.values())
      expect(versions).toEqual(Array.from({ length: PER_STREAM }, (_, i) => i + 1));

    await eventually(async () => expect((await total('applied')) + (await total('skipped'))).toBe(N + BATCH), {
      timeoutMs: 60_000,
      intervalMs: 200,
    });
    expect(await total('applied')).toBe(N);
    expect(await total('skipped')).toBe(BATCH);
    const applied = await pool.query<{ n: string; deliveries: string }>(
      `SELECT count(*) AS n, sum(deliveries) AS deliveries FROM ${schema}.applied`,
    );
    expect(Number(applied.rows[0].n)).toBe(N);
    expect(Number(applied.rows[0].deliveries)).toBe(N + BATCH);
    const effects = await pool.query<{ stream_id: string; n: number }>(`SELECT stream_id, n FROM ${schema}.effects`);
    expect(effects.rowCount).toBe(STREAMS);
    for (const row of effects.rows) expect(row.n).toBe(PER_STREAM);

    await relay2.stop();
  }, 150_000);

  it('runs one relay per name at a time: a second instance idles until the first lets go', async () => {
    const byA: string[] = [];
    const byB: string[] = [];
    const a = new OutboxRelay(pool, store, async (events) => void byA.push(...events.map((e) => e.id)), {
      name: 'exclusive',
      batchSize: 500,
      idleDelayMs: 10,
    });
    const b = new OutboxRelay(pool, store, async (events) => void byB.push(...events.map((e) => e.id)), {
      name: 'exclusive',
      batchSize: 500,
      idleDelayMs: 10,
    });
    relays.push(a, b);

    a.start();
    await eventually(() => expect(byA.length).toBeGreaterThanOrEqual(N), { timeoutMs: 20_000 });
    b.start();
    const during = [newEvent(streamIds[0], 100), newEvent(streamIds[1], 101)];
    await store.append(streamIds[0], 'any', [during[0]]);
    await store.append(streamIds[1], 'any', [during[1]]);
    await eventually(() => expect(byA).toEqual(expect.arrayContaining(during.map((e) => e.id))), { timeoutMs: 10_000 });
    await sleep(1_500); // longer than B's lock retry interval
    expect(byB).toEqual([]);
    expect(b.published).toBe(0);

    await a.stop();
    const after = newEvent(streamIds[2], 102);
    await store.append(streamIds[2], 'any', [after]);
    await eventually(() => expect(byB).toEqual([after.id]), { timeoutMs: 10_000 });
    expect(byA).not.toContain(after.id);
    await b.stop();
  });

  it('publishes an append through its own store at once, not at its next poll; stops at once while idle', async () => {
    const seen: { id: string; at: number; event: RecordedEvent }[] = [];
    const relay = new OutboxRelay(
      pool,
      store,
      async (events) => void seen.push(...events.map((event) => ({ id: event.id, at: Date.now(), event }))),
      // A poll this long would fail the test: only the wake-up can publish in time.
      { name: 'woken', batchSize: 500, idleDelayMs: 600_000 },
    );
    relays.push(relay);
    relay.start();
    await eventually(() => expect(seen.length).toBeGreaterThanOrEqual(N), { timeoutMs: 20_000 });
    for (let round = 0; round < 3; round++) {
      await sleep(200); // the relay is idle, waiting
      const e = newEvent(streamIds[round], 200 + round);
      const appendedAt = Date.now();
      await store.append(streamIds[round], 'any', [e]);
      const published = await eventually(
        () => {
          const hit = seen.find((s) => s.id === e.id);
          expect(hit).toBeDefined();
          return hit as { at: number };
        },
        { timeoutMs: 10_000 },
      );
      expect(published.at - appendedAt).toBeLessThan(10_000);
    }
    const stopping = Date.now();
    await relay.stop();
    expect(Date.now() - stopping).toBeLessThan(10_000);
    // The last batch's checkpoint rides on the next read; at a stop it is stored on its own.
    expect(await store.loadCheckpoint('woken')).toEqual(positionOf(seen[seen.length - 1].event));
  });

  it('stores no progress for a batch it published after losing its lock; the batch goes out again', async () => {
    const name = `lost-lock-${randomUUID().slice(0, 8)}`;
    const lockKey = `meridian.relay.${name}`;
    // This relay starts at the tail: a first holder of the name publishes nothing and stores its end.
    await new OutboxRelay(pool, store, async () => undefined, { name }).drain();
    const mine = Array.from({ length: 6 }, (_, i) => newEvent(streamIds[i], 300 + i));
    for (const e of mine) await store.append(streamIds[mine.indexOf(e)], 'any', [e]);

    const batches: string[][] = [];
    let killed = false;
    const relay = new OutboxRelay(
      pool,
      store,
      async (events) => {
        batches.push(events.map((e) => e.id));
        if (batches.length === 2 && !killed) {
          killed = true;
          // The lock's session dies while this batch is being published.
          await pool.query(
            `SELECT pg_terminate_backend(pid) FROM pg_locks l JOIN pg_stat_activity a USING (pid)
             WHERE l.locktype = 'advisory' AND l.objid::bigint = (hashtext($1)::bigint & 4294967295)`,
            [lockKey],
          );
          await sleep(300); // the connection's error reaches the relay before the publish returns
        }
      },
      { name, batchSize: 2, idleDelayMs: 20 },
    );
    relays.push(relay);
    relay.start();
    await eventually(() => expect(new Set(batches.flat())).toEqual(new Set(mine.map((e) => e.id))), {
      timeoutMs: 20_000,
    });
    await relay.stop();
    expect(killed).toBe(true);
    // The second batch went out twice: the lost holding stored nothing for it.
    const counts = new Map<string, number>();
    for (const id of batches.flat()) counts.set(id, (counts.get(id) ?? 0) + 1);
    expect([...counts.values()].filter((c) => c > 1)).toHaveLength(2);
    expect(batches[2]).toEqual(batches[1]);
  });
});
