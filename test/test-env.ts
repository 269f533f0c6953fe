/**
 * Where the tests find PostgreSQL, Redis and Kafka: the explicit test variables when set, else the
 * same MERIDIAN_* variables the infrastructure scripts (postgis.sh, redis.sh, test.sh) read, so a
 * machine with PostgreSQL or Redis on other ports needs no edit. Relative imports only: global setup
 * loads it without the module mapper.
 */
import { Client } from 'pg';
import { pgServer } from '../tools/env';

const env = (name: string): string | undefined => process.env[name] || undefined;

/** The same server and credentials as `url`, another database. */
export function onDatabase(url: string, database: string): string {
  const u = new URL(url);
  u.pathname = `/${database}`;
  return u.toString();
}

/** TEST_DATABASE_URL, else meridian_test on the MERIDIAN_PG_* server. */
export const testDatabaseUrl = (): string => env('TEST_DATABASE_URL') ?? `${pgServer()}/meridian_test`;

/** TEST_REDIS_URL, else the Redis of redis.sh (127.0.0.1:MERIDIAN_REDIS_PORT). */
export const testRedisUrl = (): string =>
  env('TEST_REDIS_URL') ?? `redis://127.0.0.1:${env('MERIDIAN_REDIS_PORT') ?? '6379'}`;

/** KAFKA_BROKERS, else the test broker of test.sh (127.0.0.1:MERIDIAN_TEST_KAFKA_PORT, 29092). */
export const testKafkaBrokers = (): string[] =>
  (env('KAFKA_BROKERS') ?? `127.0.0.1:${env('MERIDIAN_TEST_KAFKA_PORT') ?? '29092'}`)
    .split(',')
    .map((b) => b.trim())
    .filter((b) => b.length > 0);

/**
 * Drops and creates the database of `url` (its sessions ended) with PostGIS, through `adminUrl`
 * (the same server's `postgres` database unless given): a system under test starts from nothing.
 */
export async function recreatePostgisDatabase(url: string, adminUrl = onDatabase(url, 'postgres')): Promise<void> {
  const name = new URL(url).pathname.slice(1);
  const admin = new Client({ connectionString: adminUrl });
  await admin.connect();
  try {
    await admin.query(`DROP DATABASE IF EXISTS ${name} WITH (FORCE)`);
    await admin.query(`CREATE DATABASE ${name}`);
  } finally {
    await admin.end();
  }
  const db = new Client({ connectionString: url });
  await db.connect();
  try {
    await db.query('CREATE EXTENSION IF NOT EXISTS postgis');
  } finally {
    await db.end();
  }
}
