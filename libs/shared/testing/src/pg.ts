import { randomBytes } from 'node:crypto';
import { Pool } from 'pg';

/** The integration-test database; `test/global-setup.ts` creates it. */
export const testDatabaseUrl = (): string =>
  process.env['TEST_DATABASE_URL'] ||
  `postgres://${process.env['MERIDIAN_PG_USER'] || 'postgres'}@${process.env['MERIDIAN_PG_HOST'] || '127.0.0.1'}` +
    `:${process.env['MERIDIAN_PG_PORT'] || '5432'}/meridian_test`;

export const createTestPool = (max = 10): Pool => new Pool({ connectionString: testDatabaseUrl(), max });

export interface FreshSchema {
  readonly schema: string;
  /** Drops the schema and everything in it. */
  readonly cleanup: () => Promise<void>;
}

/**
 * A unique schema name per test file, so files never see each other's rows. Nothing is created
 * here: `migrate()` creates the schema, exactly as a service does at start.
 */
export function freshSchema(pool: Pool, prefix: string): FreshSchema {
  const clean = prefix
    .toLowerCase()
    .replace(/[^a-z0-9_]/g, '_')
    .slice(0, 30);
  const schema = `t_${clean}_${randomBytes(4).toString('hex')}`;
  const cleanup = async (): Promise<void> => {
    await pool.query(`DROP SCHEMA IF EXISTS ${schema} CASCADE`);
  };
  return { schema, cleanup };
}
