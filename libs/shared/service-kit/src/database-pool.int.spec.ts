import type { Pool, PoolClient } from 'pg';
import { afterAll, beforeAll, describe, expect, it } from '@jest/globals';
import { testDatabaseUrl } from '@meridian/shared/testing';
import { silentLog } from '@meridian/shared/util';
import { createDatabasePool } from './database-pool';

describe('createDatabasePool (real PostgreSQL)', () => {
  let pool: Pool;

  beforeAll(() => {
    pool = createDatabasePool({
      url: testDatabaseUrl(),
      max: 3,
      applicationName: 'meridian-pool-test',
      idleInTransactionTimeoutMs: 500,
      log: silentLog,
    });
  });

  afterAll(async () => {
    await pool?.end();
  });

  it('sets the idle-in-transaction timeout on every connection of the pool', async () => {
    const clients = await Promise.all([pool.connect(), pool.connect()]);
    try {
      for (const client of clients) {
        const { rows } = await client.query<{ setting: string; app: string }>(
          `SELECT current_setting('idle_in_transaction_session_timeout') AS setting,
                  current_setting('application_name') AS app`,
        );
        expect(rows[0]).toEqual({ setting: '500ms', app: 'meridian-pool-test' });
      }
    } finally {
      for (const client of clients) client.release();
    }
  });

  it('has the server end a session idle inside a transaction, releasing its locks; the pool carries on', async () => {
    const lockKey = Math.floor(Math.random() * 2 ** 31);
    const client: PoolClient = await pool.connect();
    const terminated = new Promise<Error & { code?: string }>((resolve, reject) => {
      client.once('error', resolve);
      // Far beyond the 500 ms setting: only there so a missing setting fails here, not at the suite timeout.
      setTimeout(() => reject(new Error('the server did not end the idle transaction')), 15_000).unref();
    });
    await client.query('BEGIN');
    const { rows } = await client.query<{ pid: number }>('SELECT pg_backend_pid() AS pid, pg_advisory_xact_lock($1)', [
      lockKey,
    ]);
    const tryLock = async (): Promise<boolean> =>
      (await pool.query<{ locked: boolean }>('SELECT pg_try_advisory_xact_lock($1) AS locked', [lockKey])).rows[0]
        .locked;
    expect(await tryLock()).toBe(false);

    // The client now does nothing, as a leaked one would, until the server ends its session.
    const err = await terminated;
    client.release(err);
    expect(err.code).toBe('25P03'); // idle_in_transaction_session_timeout
    const alive = await pool.query('SELECT 1 FROM pg_stat_activity WHERE pid = $1', [rows[0].pid]);
    expect(alive.rowCount).toBe(0);
    expect(await tryLock()).toBe(true);
  });
});
