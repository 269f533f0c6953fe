import Redis from 'ioredis';
import { Kafka, logLevel } from 'kafkajs';
import { Client } from 'pg';
// Relative imports: Jest runs global setup outside the module mapper of the test files.
import { testDatabaseUrl, testKafkaBrokers, testRedisUrl } from './test-env';

const hint = 'npm test (infra/scripts/test.sh) starts the test infrastructure';

/** Creates the test database (and PostGIS where installed) before any test file runs. */
async function ensureDatabase(): Promise<void> {
  const url = new URL(testDatabaseUrl());
  const database = decodeURIComponent(url.pathname.slice(1));
  if (!/^[a-z_][a-z0-9_]*$/.test(database)) throw new Error(`unexpected test database name ${database}`);
  const admin = new URL(url);
  admin.pathname = '/postgres';
  const server = new Client({ connectionString: admin.toString(), connectionTimeoutMillis: 5000 });
  try {
    await server.connect();
  } catch (err) {
    throw new Error(`PostgreSQL at ${url.host} does not answer (${(err as Error).message}): ${hint}`);
  }
  try {
    const { rowCount } = await server.query('SELECT 1 FROM pg_database WHERE datname = $1', [database]);
    if (!rowCount) {
      // Two runs starting together both try; the loser's duplicate_database error is harmless.
      await server.query(`CREATE DATABASE ${database}`).catch((err: { code?: string }) => {
        if (err.code !== '42P04') throw err;
      });
    }
  } finally {
    await server.end();
  }
  const db = new Client({ connectionString: url.toString() });
  await db.connect();
  try {
    const { rowCount } = await db.query(`SELECT 1 FROM pg_available_extensions WHERE name = 'postgis'`);
    // PostGIS may not be installed yet; tests that need it check for it themselves.
    if (rowCount) {
      await db.query('CREATE EXTENSION IF NOT EXISTS postgis').catch((err: Error) => {
        console.warn(`global setup: CREATE EXTENSION postgis failed (${err.message}); continuing without it`);
      });
    } else {
      console.warn('global setup: PostGIS is not installed; tests that need it will fail');
    }
  } finally {
    await db.end();
  }
}

async function ensureKafka(): Promise<void> {
  const brokers = testKafkaBrokers();
  const admin = new Kafka({
    clientId: 'meridian-test-setup',
    brokers,
    connectionTimeout: 3000,
    retry: { retries: 2, initialRetryTime: 300 },
    logLevel: logLevel.NOTHING,
  }).admin();
  try {
    await admin.connect();
    await admin.describeCluster();
  } catch (err) {
    throw new Error(`Kafka at ${brokers.join(',')} does not answer (${(err as Error).message}): ${hint}`);
  } finally {
    await admin.disconnect().catch(() => undefined);
  }
}

async function ensureRedis(): Promise<void> {
  const url = testRedisUrl();
  const redis = new Redis(url, {
    lazyConnect: true,
    connectTimeout: 3000,
    maxRetriesPerRequest: 0,
    retryStrategy: () => null,
  });
  try {
    await redis.connect();
    await redis.ping();
  } catch (err) {
    throw new Error(`Redis at ${url} does not answer (${(err as Error).message}): ${hint}`);
  } finally {
    redis.disconnect();
  }
}

/**
 * Every file (and every service a test starts) sees the same addresses: when run without
 * infra/scripts/test.sh, they are derived here from the MERIDIAN_* variables the scripts read.
 * Test files inherit this process's environment.
 */
function exportAddresses(): void {
  process.env['TEST_DATABASE_URL'] = testDatabaseUrl();
  process.env['TEST_REDIS_URL'] = testRedisUrl();
  process.env['KAFKA_BROKERS'] = testKafkaBrokers().join(',');
}

export default async function setup(): Promise<void> {
  exportAddresses();
  await Promise.all([ensureDatabase(), ensureKafka(), ensureRedis()]);
}
