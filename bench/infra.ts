/**
 * Real infrastructure for the benchmarks: a dedicated database, one schema per run (dropped at
 * the end), a plain baseline table indexed like the store's events table, and fresh Kafka topics.
 * The telemetry benchmark has a database of its own (see telemetry.ts).
 */
import { Client, Pool } from 'pg';
import { eventStoreMigrations, migrate } from '@meridian/shared/event-store';
import { MessageBus } from '@meridian/shared/messaging';
import type { Log } from '@meridian/shared/util';
import { say } from './harness';
import { devBrokers, pgServer } from '../tools/env';

export interface InfraConfig {
  readonly pgUrl: string;
  readonly brokers: readonly string[];
  readonly poolSize: number;
}

export function infraConfig(): InfraConfig {
  return {
    pgUrl: process.env.BENCH_PG_URL ?? `${pgServer()}/meridian_bench`,
    brokers: devBrokers(),
    poolSize: Number(process.env.BENCH_POOL_SIZE ?? 16),
  };
}

/** The same server and credentials as `pgUrl`, another database. */
export function databaseUrl(pgUrl: string, database: string): string {
  const url = new URL(pgUrl);
  url.pathname = `/${database}`;
  return url.toString();
}

const databaseName = (pgUrl: string): string => {
  const name = decodeURIComponent(new URL(pgUrl).pathname.slice(1));
  if (!/^[a-z_][a-z0-9_]*$/.test(name)) throw new Error(`unsupported database name: ${name}`);
  return name;
};

/** Runs `work` on a connection to the `postgres` database of the same server. */
async function withAdmin<T>(pgUrl: string, work: (admin: Client) => Promise<T>): Promise<T> {
  const admin = new Client({ connectionString: databaseUrl(pgUrl, 'postgres') });
  await admin.connect();
  try {
    return await work(admin);
  } finally {
    await admin.end();
  }
}

/** Creates the benchmark database if it is missing (connecting to `postgres` on the same server). */
export async function ensureDatabase(pgUrl: string): Promise<void> {
  const name = databaseName(pgUrl);
  await withAdmin(pgUrl, async (admin) => {
    const { rowCount } = await admin.query('SELECT 1 FROM pg_database WHERE datname = $1', [name]);
    if (!rowCount) {
      await admin.query(`CREATE DATABASE ${name}`);
      say(`created database ${name}`);
    }
  });
}

/** Drops and creates the database of `pgUrl`, with PostGIS: a fresh one for a stack of services. */
export async function recreateDatabase(pgUrl: string): Promise<void> {
  const name = databaseName(pgUrl);
  await withAdmin(pgUrl, async (admin) => {
    await admin.query(`DROP DATABASE IF EXISTS ${name} WITH (FORCE)`);
    await admin.query(`CREATE DATABASE ${name}`);
  });
  const db = new Client({ connectionString: pgUrl });
  await db.connect();
  try {
    await db.query('CREATE EXTENSION IF NOT EXISTS postgis');
  } finally {
    await db.end();
  }
}

/**
 * Drops a database the benchmarks own (`WITH (FORCE)`: a connection left over by an interrupted
 * phase must not keep it alive). Failures are reported, not thrown (cleanup must go on).
 */
export async function dropDatabase(pgUrl: string): Promise<void> {
  const name = databaseName(pgUrl);
  await withAdmin(pgUrl, (admin) => admin.query(`DROP DATABASE IF EXISTS ${name} WITH (FORCE)`)).catch((err: Error) =>
    say(`could not drop database ${name}: ${err.message}`),
  );
}

export function newPool(config: InfraConfig): Pool {
  const pool = new Pool({ connectionString: config.pgUrl, max: config.poolSize, application_name: 'meridian-bench' });
  pool.on('error', (err) => say(`pg pool error: ${err.message}`));
  return pool;
}

/** Opens every pooled connection before anything is timed. */
export async function warmPool(pool: Pool, size: number): Promise<void> {
  const clients = await Promise.all(Array.from({ length: size }, () => pool.connect()));
  await Promise.all(clients.map((c) => c.query('SELECT 1')));
  clients.forEach((c) => c.release());
}

/** The store's schema (via its own migrations) plus the baseline table beside it. */
export async function createSchema(pool: Pool, schema: string): Promise<void> {
  await migrate(pool, schema, eventStoreMigrations(schema));
  // Same columns, defaults and indexes as `events`, its own sequence, and nothing else:
  // no streams table, no version check, no function call.
  await pool.query(`
CREATE TABLE ${schema}.plain_events (
  global_position bigserial PRIMARY KEY,
  transaction_id xid8 NOT NULL DEFAULT pg_current_xact_id(),
  stream_id text NOT NULL,
  stream_version int NOT NULL,
  event_id uuid NOT NULL UNIQUE,
  type text NOT NULL,
  schema_version int NOT NULL DEFAULT 1,
  data jsonb NOT NULL,
  metadata jsonb NOT NULL DEFAULT '{}',
  recorded_at timestamptz NOT NULL DEFAULT now(),
  UNIQUE (stream_id, stream_version)
);
CREATE INDEX plain_events_commit_order ON ${schema}.plain_events (transaction_id, global_position);`);
}

export async function dropSchema(pool: Pool, schema: string): Promise<void> {
  await pool.query(`DROP SCHEMA IF EXISTS ${schema} CASCADE`);
}

/** Flushes dirty buffers so a checkpoint does not land inside the next timed section. */
export async function checkpoint(pool: Pool): Promise<void> {
  await pool.query('CHECKPOINT').catch(() => undefined);
}

export async function serverVersion(pool: Pool): Promise<string> {
  const { rows } = await pool.query<{ v: string }>("SELECT current_setting('server_version') AS v");
  return rows[0].v;
}

export const benchLog: Log = {
  info: () => undefined,
  warn: (o, m) => say(`kafka warn: ${m} ${JSON.stringify(o)}`),
  error: (o, m) => say(`kafka error: ${m} ${JSON.stringify(o)}`),
};

export function newBus(config: InfraConfig, clientId: string): MessageBus {
  return new MessageBus({ brokers: config.brokers, clientId, log: benchLog });
}

/** Deletes the run's topics; failures are reported, not thrown (cleanup must go on). */
export async function deleteTopics(bus: MessageBus, topics: readonly string[]): Promise<void> {
  if (topics.length === 0) return;
  try {
    const admin = await bus.admin();
    await admin.deleteTopics({ topics: [...topics], timeout: 10_000 });
  } catch (err) {
    say(`could not delete topics ${topics.join(', ')}: ${(err as Error).message}`);
  }
}
