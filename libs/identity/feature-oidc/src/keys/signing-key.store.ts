import type { Pool, PoolClient } from 'pg';
import type { PublicJwk } from '@meridian/contracts/identity';
import { inTransaction } from '@meridian/shared/event-store';

/** One row of `identity.signing_keys`; the private JWK stays sealed until the provider needs it. */
export interface StoredKey {
  readonly kid: string;
  readonly sealedPrivateJwk: string;
  readonly publicJwk: PublicJwk;
  readonly createdAt: Date;
  readonly activatesAt: Date;
  readonly retiredAt: Date | null;
  readonly expiresAt: Date | null;
}

interface Row {
  kid: string;
  private_jwk: string;
  public_jwk: PublicJwk;
  created_at: Date;
  activates_at: Date;
  retired_at: Date | null;
  expires_at: Date | null;
}

const toKey = (r: Row): StoredKey => ({
  kid: r.kid,
  sealedPrivateJwk: r.private_jwk,
  publicJwk: r.public_jwk,
  createdAt: r.created_at,
  activatesAt: r.activates_at,
  retiredAt: r.retired_at,
  expiresAt: r.expires_at,
});

type Queryable = Pick<Pool | PoolClient, 'query'>;

/** Keys that still verify (not expired at `now`), oldest first. */
export async function liveKeys(db: Queryable, now: Date): Promise<StoredKey[]> {
  const { rows } = await db.query<Row>(
    `SELECT kid, private_jwk, public_jwk, created_at, activates_at, retired_at, expires_at
       FROM identity.signing_keys WHERE expires_at IS NULL OR expires_at > $1 ORDER BY activates_at, kid`,
    [now],
  );
  return rows.map(toKey);
}

export async function insertKey(db: Queryable, key: StoredKey): Promise<void> {
  await db.query(
    `INSERT INTO identity.signing_keys (kid, private_jwk, public_jwk, created_at, activates_at)
     VALUES ($1, $2, $3, $4, $5)`,
    [key.kid, key.sealedPrivateJwk, JSON.stringify(key.publicJwk), key.createdAt, key.activatesAt],
  );
}

export async function retireKey(db: Queryable, kid: string, retiredAt: Date, expiresAt: Date): Promise<void> {
  await db.query(
    `UPDATE identity.signing_keys SET retired_at = $2, expires_at = $3 WHERE kid = $1 AND retired_at IS NULL`,
    [kid, retiredAt, expiresAt],
  );
}

/** Forgets keys that stopped verifying long ago (the topic keeps their last state with `expiresAt`). */
export async function deleteKeysExpiredBefore(db: Queryable, before: Date): Promise<number> {
  const { rowCount } = await db.query(`DELETE FROM identity.signing_keys WHERE expires_at < $1`, [before]);
  return rowCount ?? 0;
}

/**
 * Runs `work` in a transaction holding the key ring's advisory lock, so one identity instance
 * creates or retires keys at a time. `wait: false` gives up (null) when another instance holds it.
 */
export async function withKeyLock<T>(
  pool: Pool,
  wait: boolean,
  work: (client: PoolClient) => Promise<T>,
): Promise<T | null> {
  const client = await pool.connect();
  try {
    return await inTransaction(client, async () => {
      if (wait) {
        await client.query(`SELECT pg_advisory_xact_lock(hashtext('meridian.identity.signing-keys'))`);
      } else {
        const { rows } = await client.query<{ locked: boolean }>(
          `SELECT pg_try_advisory_xact_lock(hashtext('meridian.identity.signing-keys')) AS locked`,
        );
        if (!rows[0]?.locked) return null;
      }
      return work(client);
    });
  } finally {
    client.release();
  }
}
