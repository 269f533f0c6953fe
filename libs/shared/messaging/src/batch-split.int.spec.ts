import { Pool } from 'pg';
import { afterAll, beforeAll, describe, expect, it } from '@jest/globals';
import { dlqTopic, type Envelope, MeridianHeaders, type WireMessage } from '@meridian/contracts/core';
import { silentLog } from '@meridian/shared/util';
import type { MessageBus } from './bus';
import { Subscription } from './consumer';
import {
  createTestBus,
  createTopics,
  deleteTopics,
  eventually,
  messagesIn,
  readTopic,
  suffix,
  testWire,
  uniqueTopic,
} from './testing/spec-support';

// The test database, as @meridian/shared/testing names it (that lib depends on messaging: a cycle).
const databaseUrl = process.env['TEST_DATABASE_URL'] ?? 'postgres://postgres@127.0.0.1:5432/meridian_test';

interface Reading {
  readonly id: string;
  readonly n: number;
  readonly label: string;
}

const reading = (r: Reading): WireMessage => testWire('test.reading.v1', r, 'sensor-1');

const parse = (e: Envelope): Reading => e.data as Reading;

describe('Subscription.runBatch failure paths (real Postgres)', () => {
  let bus: MessageBus;
  let pool: Pool;
  const schema = `t_batch_split_${suffix()}`;
  const topics: string[] = [];
  const subscriptions: Subscription[] = [];

  const topic = async (): Promise<string> => {
    const name = uniqueTopic('batch-split');
    await createTopics(bus, [name, dlqTopic(name)]);
    topics.push(name, dlqTopic(name));
    return name;
  };

  const subscribe = (t: string): Subscription => {
    const s = new Subscription(bus, {
      groupId: `test-batch-${suffix()}`,
      topics: [t],
      fromBeginning: true,
      log: silentLog,
    });
    subscriptions.push(s);
    return s;
  };

  /** One multi-row INSERT: the database takes the whole batch or refuses it. */
  const insert = async (table: string, rows: readonly Reading[]): Promise<void> => {
    await pool.query(
      `INSERT INTO ${schema}.${table} (id, n, label) SELECT * FROM unnest($1::text[], $2::int[], $3::text[])`,
      [rows.map((r) => r.id), rows.map((r) => r.n), rows.map((r) => r.label)],
    );
  };
  const stored = async (table: string): Promise<string[]> =>
    (await pool.query<{ id: string }>(`SELECT id FROM ${schema}.${table} ORDER BY id`)).rows.map((r) => r.id);

  beforeAll(async () => {
    bus = createTestBus('batch-split');
    pool = new Pool({ connectionString: databaseUrl, max: 4 });
    await pool.query(`CREATE SCHEMA ${schema}`);
    for (const table of ['readings', 'flaky']) {
      await pool.query(
        `CREATE TABLE ${schema}.${table} (
          id text PRIMARY KEY, n int NOT NULL CHECK (n >= 0), label varchar(8) NOT NULL)`,
      );
    }
  });

  afterAll(async () => {
    await Promise.allSettled(subscriptions.map((s) => s.stop()));
    if (bus) {
      await deleteTopics(bus, topics);
      await bus.close();
    }
    await pool?.query(`DROP SCHEMA IF EXISTS ${schema} CASCADE`);
    await pool?.end();
  });

  it('stores the good rows of a refused batch, dead-letters each refused row with its error, and goes on', async () => {
    const t = await topic();
    const rows: Reading[] = Array.from({ length: 40 }, (_, i) => ({
      id: `r${String(i).padStart(2, '0')}`,
      n: i,
      label: 'ok',
    }));
    rows[3] = { ...rows[3], n: -1 }; // CHECK violation, SQLSTATE 23514
    rows[17] = { ...rows[17], label: 'much too long' }; // value too long, SQLSTATE 22001
    rows[38] = { ...rows[38], n: -5 };
    const bad = new Set(['r03', 'r17', 'r38']);
    await bus.send(t, rows.map(reading));

    const calls: number[] = [];
    await subscribe(t).runBatch(parse, async (items) => {
      calls.push(items.length);
      await insert('readings', items);
    });

    const good = rows.filter((r) => !bad.has(r.id)).map((r) => r.id);
    await eventually(async () => expect(await stored('readings')).toEqual(good));
    // The batch really was split: it arrived whole, and was refused whole first.
    expect(Math.max(...calls)).toBeGreaterThan(1);

    const dead = await readTopic(bus, dlqTopic(t), 3);
    expect(dead).toHaveLength(3);
    const byId = new Map(dead.map((d) => [(JSON.parse(d.value.toString()) as Reading).id, d.headers]));
    expect([...byId.keys()].sort()).toEqual(['r03', 'r17', 'r38']);
    expect(byId.get('r03')).toMatchObject({
      [MeridianHeaders.errorCode]: '23514',
      [MeridianHeaders.originalTopic]: t,
      [MeridianHeaders.originalOffset]: '3',
    });
    expect(byId.get('r03')?.[MeridianHeaders.error]).toMatch(/check constraint/);
    expect(byId.get('r17')).toMatchObject({
      [MeridianHeaders.errorCode]: '22001',
      [MeridianHeaders.originalOffset]: '17',
    });
    expect(byId.get('r38')).toMatchObject({
      [MeridianHeaders.errorCode]: '23514',
      [MeridianHeaders.originalPartition]: '0',
    });

    // The partition is not stalled: a later message on it is stored.
    await bus.send(t, [reading({ id: 'r99', n: 99, label: 'later' })]);
    await eventually(async () => expect(await stored('readings')).toContain('r99'));
  });

  it('retries the whole batch while the database is unreachable, without splitting or dead-lettering', async () => {
    const t = await topic();
    const rows: Reading[] = Array.from({ length: 10 }, (_, i) => ({ id: `f${i}`, n: i, label: 'ok' }));
    await bus.send(t, rows.map(reading));

    const calls: number[] = [];
    await subscribe(t).runBatch(parse, async (items) => {
      calls.push(items.length);
      if (calls.length <= 2)
        throw Object.assign(new Error('connect ECONNREFUSED 127.0.0.1:5432'), { code: 'ECONNREFUSED' });
      await insert('flaky', items);
    });

    await eventually(async () => expect(await stored('flaky')).toEqual(rows.map((r) => r.id)));
    expect(calls).toEqual([10, 10, 10]);
    expect(await messagesIn(bus, dlqTopic(t))).toBe(0n);
  });
});
