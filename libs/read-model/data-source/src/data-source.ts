import type { Pool } from 'pg';
import { DataSource, type DataSourceOptions } from 'typeorm';
import { AssetLatest, AssetLatest1764460800001 } from '@meridian/read-model/assets';
import { Audit1764460800007 } from '@meridian/read-model/audit';
import { Exports1764460800010 } from '@meridian/read-model/exports';
import { Missions1764460800008 } from '@meridian/read-model/missions';
import {
  Position,
  PositionQueries1764460800005,
  Positions1764460800002,
  TelemetryWritePath1764460800004,
} from '@meridian/read-model/positions';
import { Webhooks1764460800009 } from '@meridian/read-model/webhooks';
import { Zones1764460800003 } from '@meridian/read-model/zones';
import { AccessAttributes1764460800006 } from './migrations/1764460800006-access-attributes';

export const READ_SCHEMA = 'read';

/** Every read-model table group: its entities and migrations. A new group adds itself here. */
export const readModelEntities = [AssetLatest, Position];
export const readModelMigrations = [
  AssetLatest1764460800001,
  Positions1764460800002,
  Zones1764460800003,
  TelemetryWritePath1764460800004,
  PositionQueries1764460800005,
  AccessAttributes1764460800006,
  Audit1764460800007,
  Missions1764460800008,
  Webhooks1764460800009,
  Exports1764460800010,
];

export interface ReadModelDataSourceOptions {
  readonly url: string;
  readonly poolSize?: number;
  readonly applicationName?: string;
  /** Milliseconds; the server ends a session left idle inside a transaction this long. */
  readonly idleInTransactionTimeoutMs?: number;
}

/**
 * Session settings of every read-model connection: no JIT compilation. Read-model statements are
 * short index lookups and batch writes; on 10 M positions some plans cross `jit_above_cost` and
 * spend more compiling (up to 70 ms measured) than running (`docs/performance-queries.md`).
 */
export const READ_MODEL_SESSION_OPTIONS = '-c jit=off';

/**
 * The read side's TypeORM DataSource: entities with PostGIS geometry columns and the migrations
 * of the read schema. Never `synchronize`: the schema changes only through migrations.
 */
export function readModelOptions(options: ReadModelDataSourceOptions): DataSourceOptions {
  return {
    type: 'postgres',
    url: options.url,
    entities: readModelEntities,
    migrations: readModelMigrations,
    // The migrations table lives in the read schema: dropping the schema forgets its migrations too.
    schema: READ_SCHEMA,
    migrationsTableName: 'read_model_migrations',
    migrationsTransactionMode: 'each',
    synchronize: false,
    logging: false,
    applicationName: options.applicationName ?? 'meridian-read-model',
    extra: {
      max: options.poolSize ?? 10,
      options: READ_MODEL_SESSION_OPTIONS,
      ...(options.idleInTransactionTimeoutMs
        ? { idle_in_transaction_session_timeout: options.idleInTransactionTimeoutMs }
        : {}),
    },
  };
}

export const createReadModelDataSource = (options: ReadModelDataSourceOptions): DataSource =>
  new DataSource(readModelOptions(options));

/** The pg Pool inside an initialised DataSource: raw SQL on hot paths shares TypeORM's connections. */
export function poolOf(dataSource: DataSource): Pool {
  const driver = dataSource.driver as unknown as { master?: Pool };
  if (!driver.master) throw new Error('DataSource is not initialised (no pg pool yet)');
  return driver.master;
}

/**
 * Applies pending read-model migrations once, even when replicas start together: the schema is
 * created first (TypeORM keeps its migrations table in it), under a session advisory lock.
 */
export async function migrateReadModel(dataSource: DataSource): Promise<string[]> {
  const pool = poolOf(dataSource);
  const client = await pool.connect();
  try {
    await client.query('SELECT pg_advisory_lock(hashtext($1))', ['meridian.migrate.read-model']);
    await client.query(`CREATE SCHEMA IF NOT EXISTS ${READ_SCHEMA}`);
    await client.query('CREATE EXTENSION IF NOT EXISTS postgis');
    const applied = await dataSource.runMigrations({ transaction: 'each' });
    return applied.map((m) => m.name);
  } finally {
    await client
      .query('SELECT pg_advisory_unlock(hashtext($1))', ['meridian.migrate.read-model'])
      .catch(() => undefined);
    client.release();
  }
}
