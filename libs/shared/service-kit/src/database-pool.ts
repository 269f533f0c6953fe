import { Pool } from 'pg';
import type { Log } from '@meridian/shared/util';

export interface DatabasePoolOptions {
  readonly url: string;
  readonly max: number;
  readonly applicationName: string;
  /**
   * Sent as a session setting on every connection: the server terminates a session that sits idle
   * inside an open transaction this long (a leaked client would otherwise hold its locks and keep
   * `$all` from moving past its transaction id). 0 leaves it off.
   */
  readonly idleInTransactionTimeoutMs: number;
  readonly log: Log;
}

/** The pg pool every service uses (CoreModule builds it from config); tests build it the same way. */
export function createDatabasePool(options: DatabasePoolOptions): Pool {
  const pool = new Pool({
    connectionString: options.url,
    max: options.max,
    application_name: options.applicationName,
    idle_in_transaction_session_timeout: options.idleInTransactionTimeoutMs,
  });
  // Without a listener an idle connection the server closes would crash the process.
  pool.on('error', (err) => options.log.error({ err }, 'idle postgres connection failed'));
  return pool;
}
