import type { Pool, PoolClient } from 'pg';

export interface Migration {
  readonly id: number;
  readonly name: string;
  readonly sql: string;
}

const ident = /^[a-z_][a-z0-9_]*$/;

/** Guards every schema name that is spliced into SQL text. */
export function assertIdentifier(name: string): string {
  if (!ident.test(name)) throw new Error(`invalid SQL identifier: ${name}`);
  return name;
}

/** A schema-qualified table name (`schema.table`), each part checked, for splicing into SQL text. */
export function qualifiedTable(name: string): string {
  const parts = name.split('.');
  if (parts.length !== 2) throw new Error(`expected schema.table, got ${name}`);
  return parts.map(assertIdentifier).join('.');
}

/**
 * Applies pending migrations of one schema, each in its own transaction, under an advisory lock
 * so that replicas starting together migrate once. Applied ids are recorded in `<schema>.migrations`.
 */
export async function migrate(pool: Pool, schema: string, migrations: readonly Migration[]): Promise<number[]> {
  assertIdentifier(schema);
  const client = await pool.connect();
  try {
    await client.query('SELECT pg_advisory_lock(hashtext($1))', [`meridian.migrate.${schema}`]);
    await client.query(`CREATE SCHEMA IF NOT EXISTS ${schema}`);
    await client.query(
      `CREATE TABLE IF NOT EXISTS ${schema}.migrations (
         id int PRIMARY KEY, name text NOT NULL, applied_at timestamptz NOT NULL DEFAULT now()
       )`,
    );
    const done = new Set(
      (await client.query<{ id: number }>(`SELECT id FROM ${schema}.migrations`)).rows.map((r) => r.id),
    );
    const applied: number[] = [];
    for (const m of [...migrations].sort((a, b) => a.id - b.id)) {
      if (done.has(m.id)) continue;
      await inTransaction(client, async () => {
        await client.query(m.sql);
        await client.query(`INSERT INTO ${schema}.migrations (id, name) VALUES ($1, $2)`, [m.id, m.name]);
      });
      applied.push(m.id);
    }
    return applied;
  } finally {
    await client
      .query('SELECT pg_advisory_unlock(hashtext($1))', [`meridian.migrate.${schema}`])
      .catch(() => undefined);
    client.release();
  }
}

export async function inTransaction<T>(client: PoolClient, work: () => Promise<T>): Promise<T> {
  await client.query('BEGIN');
  try {
    const result = await work();
    await client.query('COMMIT');
    return result;
  } catch (err) {
    await client.query('ROLLBACK').catch(() => undefined);
    throw err;
  }
}
