import { randomBytes } from 'node:crypto';
import type { Pool } from 'pg';
import { afterAll, beforeAll, beforeEach, describe, expect, it } from '@jest/globals';
import type { AllPosition, Queryable } from '@meridian/shared/event-store';
import { createTestPool, freshSchema } from '@meridian/shared/testing';
import { type EventSource, rebuildReadModel, type RebuildProjection, ShadowTable, type SourceEvent } from './rebuild';

/*
 * The table mechanics of a rebuild on a scratch table with one of everything a read-model table may
 * have (serial, defaults, CHECK, primary key, unique constraint, partial and GiST indexes, a grant),
 * in a schema of its own: the shadow is made like it, swapped in under the live names, and the
 * swap waits for readers only as long as its lock timeout, then tries again.
 */

const events = (n: number): SourceEvent[] =>
  Array.from({ length: n }, (_, i) => ({ type: 'sample', data: { key: `k${i}`, n: i } }));

/** `$all` as a list: position = index of the last event read. */
const listSource = (all: readonly SourceEvent[]): EventSource => ({
  async read(after: AllPosition, limit: number) {
    const from = Number(after.globalPosition);
    const page = all.slice(from, from + limit);
    return {
      events: page,
      read: page.length,
      next: { transactionId: '1', globalPosition: String(from + page.length) },
    };
  },
});

describe('ShadowTable and rebuildReadModel on a scratch table (real PostGIS)', () => {
  let pool: Pool;
  let schema: string;
  let dropSchema: () => Promise<void>;
  let table: string;

  const projection = (): RebuildProjection => ({
    table,
    async apply(page: readonly SourceEvent[], target: string, via: Queryable) {
      const data = page.map((e) => e.data as { key: string; n: number });
      const { rowCount } = await via.query(
        `INSERT INTO ${target} (key, n) SELECT * FROM unnest($1::text[], $2::int[])
         ON CONFLICT (key) DO UPDATE SET n = EXCLUDED.n`,
        [data.map((d) => d.key), data.map((d) => d.n)],
      );
      return { changed: rowCount ?? 0, refused: 0 };
    },
  });

  const shape = async () => {
    const [name] = table.split('.').slice(1);
    const q = async (sql: string) => (await pool.query(sql, [schema, name])).rows;
    return {
      columns: await q(
        `SELECT column_name, data_type, udt_name, column_default, is_nullable FROM information_schema.columns
         WHERE table_schema = $1 AND table_name = $2 ORDER BY ordinal_position`,
      ),
      indexes: await q(
        `SELECT indexname, indexdef FROM pg_indexes WHERE schemaname = $1 AND tablename = $2 ORDER BY 1`,
      ),
      constraints: await q(
        `SELECT conname, pg_get_constraintdef(c.oid) AS def FROM pg_constraint c
         WHERE conrelid = ($1 || '.' || $2)::regclass ORDER BY 1`,
      ),
      grants: await q(
        `SELECT grantee, privilege_type FROM information_schema.role_table_grants
         WHERE table_schema = $1 AND table_name = $2 AND grantee = 'PUBLIC'`,
      ),
    };
  };

  beforeAll(async () => {
    pool = createTestPool(6);
    const fresh = freshSchema(pool, 'shadow');
    schema = fresh.schema;
    dropSchema = fresh.cleanup;
    await pool.query(`CREATE SCHEMA ${schema}`);
  });

  beforeEach(async () => {
    table = `${schema}.sample_${randomBytes(3).toString('hex')}`;
    await pool.query(`
      CREATE TABLE ${table} (
        id bigserial PRIMARY KEY,
        key text NOT NULL UNIQUE,
        n int NOT NULL DEFAULT 7 CONSTRAINT n_positive CHECK (n >= 0),
        pt geometry(Point, 4326),
        note text
      );
      CREATE INDEX ${table.split('.')[1]}_big ON ${table} (n) WHERE n > 100;
      CREATE INDEX ${table.split('.')[1]}_pt ON ${table} USING gist (pt);
      GRANT SELECT ON ${table} TO PUBLIC;
      INSERT INTO ${table} (key, n, note) VALUES ('stale', 1, 'gone after the rebuild');`);
  });

  afterAll(async () => {
    await dropSchema?.();
    await pool?.end();
  });

  it('makes the shadow like the live table and swaps it in under the live names', async () => {
    const before = await shape();

    const summary = await rebuildReadModel(pool, projection(), listSource(events(25)), { pageSize: 4 });

    expect(summary).toMatchObject({ phase: 'done', eventsRead: 25, rowsChanged: 25, swapAttempts: 1 });
    expect(await shape()).toEqual(before);
    const { rows } = await pool.query(`SELECT key, n FROM ${table} ORDER BY n`);
    expect(rows).toEqual(events(25).map((e) => e.data));
    // The serial's sequence followed its column: inserts keep working, ids keep growing.
    await pool.query(`INSERT INTO ${table} (key) VALUES ('after')`);
    expect((await pool.query(`SELECT n FROM ${table} WHERE key = 'after'`)).rows).toEqual([{ n: 7 }]);
    const leftovers = await pool.query(
      `SELECT relname FROM pg_class c JOIN pg_namespace s ON s.oid = c.relnamespace
       WHERE s.nspname = $1 AND (relname LIKE '%\\_\\_rebuild' OR relname LIKE '%\\_\\_old')`,
      [schema],
    );
    expect(leftovers.rows).toEqual([]);
    // And again: the names are where the next rebuild expects them.
    await rebuildReadModel(pool, projection(), listSource(events(3)), { pageSize: 2 });
    expect(await shape()).toEqual(before);
  });

  it('waits for a long reader only its lock timeout, then catches up and tries again', async () => {
    const reader = await pool.connect();
    await reader.query('BEGIN');
    await reader.query(`SELECT count(*) FROM ${table}`); // holds ACCESS SHARE until it ends
    const release = setTimeout(() => void reader.query('COMMIT'), 1500);

    const summary = await rebuildReadModel(pool, projection(), listSource(events(5)), { lockTimeoutMs: 200 });

    clearTimeout(release);
    reader.release();
    expect(summary.swapAttempts).toBeGreaterThan(1);
    expect((await pool.query(`SELECT count(*)::int AS n FROM ${table}`)).rows).toEqual([{ n: 5 }]);
  });

  it('refuses a table a view depends on, and a second rebuild of the same table at once', async () => {
    await pool.query(`CREATE VIEW ${table}_v AS SELECT key FROM ${table}`);
    await expect(rebuildReadModel(pool, projection(), listSource(events(1)))).rejects.toThrow(/view .* left behind/);
    await pool.query(`DROP VIEW ${table}_v`);

    const slow = listSource(events(50));
    const first = rebuildReadModel(
      pool,
      projection(),
      { read: async (a, l, v) => new Promise((r) => setTimeout(() => r(slow.read(a, l, v)), 20)) },
      { pageSize: 5 },
    );
    await new Promise((r) => setTimeout(r, 50));
    await expect(rebuildReadModel(pool, projection(), listSource(events(1)))).rejects.toThrow(/another rebuild/);
    await expect(first).resolves.toMatchObject({ eventsRead: 50 });
  });

  it('refuses to swap when the live indexes changed meanwhile (a migration would be lost)', async () => {
    const shadow = new ShadowTable(table);
    const client = await pool.connect();
    try {
      await shadow.create(client);
      await client.query(`CREATE INDEX ${table.split('.')[1]}_note ON ${table} (note)`);
      await client.query('BEGIN');
      await expect(shadow.swap(client)).rejects.toThrow(/indexes of .* changed/);
      await client.query('ROLLBACK');
      await shadow.drop(client);
    } finally {
      client.release();
    }
  });
});
