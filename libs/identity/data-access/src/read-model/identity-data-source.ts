import type { Pool } from 'pg';
import { DataSource, type DataSourceOptions } from 'typeorm';
import { IdentityServiceAccount } from './identity-service-account.entity';
import { IdentityUser } from './identity-user.entity';
import { IdentityAccounts1764547200001 } from './migrations/1764547200001-identity-accounts';

/** Identity's own schema: its event store and, beside it, the account read models. */
export const IDENTITY_SCHEMA = 'identity';

export const identityEntities = [IdentityUser, IdentityServiceAccount];
export const identityMigrations = [IdentityAccounts1764547200001];

export interface IdentityDataSourceOptions {
  readonly url: string;
  readonly poolSize?: number;
  readonly applicationName?: string;
  readonly idleInTransactionTimeoutMs?: number;
}

/** TypeORM for identity's read models: entities and migrations, never `synchronize`. */
export function identityDataSourceOptions(options: IdentityDataSourceOptions): DataSourceOptions {
  return {
    type: 'postgres',
    url: options.url,
    entities: identityEntities,
    migrations: identityMigrations,
    schema: IDENTITY_SCHEMA,
    migrationsTableName: 'read_model_migrations',
    migrationsTransactionMode: 'each',
    synchronize: false,
    logging: false,
    applicationName: options.applicationName ?? 'meridian-identity-read-model',
    extra: {
      max: options.poolSize ?? 5,
      ...(options.idleInTransactionTimeoutMs
        ? { idle_in_transaction_session_timeout: options.idleInTransactionTimeoutMs }
        : {}),
    },
  };
}

export const createIdentityDataSource = (options: IdentityDataSourceOptions): DataSource =>
  new DataSource(identityDataSourceOptions(options));

/** The pg Pool inside an initialised DataSource: the projection's SQL shares TypeORM's connections. */
export function identityPoolOf(dataSource: DataSource): Pool {
  const driver = dataSource.driver as unknown as { master?: Pool };
  if (!driver.master) throw new Error('DataSource is not initialised (no pg pool yet)');
  return driver.master;
}

/**
 * Applies pending read-model migrations once, even when replicas start together. The lock is the
 * one the event store's migrator takes for this schema, so the two never create the schema at once.
 */
export async function migrateIdentityReadModel(dataSource: DataSource): Promise<string[]> {
  const client = await identityPoolOf(dataSource).connect();
  const lock = `meridian.migrate.${IDENTITY_SCHEMA}`;
  try {
    await client.query('SELECT pg_advisory_lock(hashtext($1))', [lock]);
    await client.query(`CREATE SCHEMA IF NOT EXISTS ${IDENTITY_SCHEMA}`);
    const applied = await dataSource.runMigrations({ transaction: 'each' });
    return applied.map((m) => m.name);
  } finally {
    await client.query('SELECT pg_advisory_unlock(hashtext($1))', [lock]).catch(() => undefined);
    client.release();
  }
}
