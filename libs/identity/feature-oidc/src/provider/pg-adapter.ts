import type { Adapter, AdapterPayload } from 'oidc-provider';
import type { Pool } from 'pg';

interface Row {
  readonly payload: AdapterPayload;
  readonly consumed_at: Date | null;
}

const COLUMNS = 'payload, consumed_at';
const LIVE = '(expires_at IS NULL OR expires_at > now())';

/**
 * oidc-provider's storage for one model (Session, Interaction, Grant, AuthorizationCode,
 * RefreshToken, …) in `identity.oidc_payloads`, shared by every instance and by every Provider a key
 * rotation builds. Expired rows are invisible at once and deleted by `deleteExpiredOidcPayloads`.
 */
export class PgOidcAdapter implements Adapter {
  constructor(
    private readonly pool: Pool,
    private readonly model: string,
  ) {}

  async upsert(id: string, payload: AdapterPayload, expiresIn?: number): Promise<void> {
    await this.pool.query(
      `INSERT INTO identity.oidc_payloads (model, id, payload, grant_id, uid, user_code, expires_at)
       VALUES ($1, $2, $3, $4, $5, $6, CASE WHEN $7::int IS NULL THEN NULL ELSE now() + make_interval(secs => $7) END)
       ON CONFLICT (model, id) DO UPDATE SET payload = EXCLUDED.payload, grant_id = EXCLUDED.grant_id,
         uid = EXCLUDED.uid, user_code = EXCLUDED.user_code, expires_at = EXCLUDED.expires_at`,
      [
        this.model,
        id,
        JSON.stringify(payload),
        payload.grantId ?? null,
        payload.uid ?? null,
        payload.userCode ?? null,
        expiresIn === undefined ? null : Math.ceil(expiresIn),
      ],
    );
  }

  find(id: string): Promise<AdapterPayload | undefined> {
    return this.one('id', id);
  }

  findByUid(uid: string): Promise<AdapterPayload | undefined> {
    return this.one('uid', uid);
  }

  findByUserCode(userCode: string): Promise<AdapterPayload | undefined> {
    return this.one('user_code', userCode);
  }

  async consume(id: string): Promise<void> {
    await this.pool.query(`UPDATE identity.oidc_payloads SET consumed_at = now() WHERE model = $1 AND id = $2`, [
      this.model,
      id,
    ]);
  }

  async destroy(id: string): Promise<void> {
    await this.pool.query(`DELETE FROM identity.oidc_payloads WHERE model = $1 AND id = $2`, [this.model, id]);
  }

  async revokeByGrantId(grantId: string): Promise<void> {
    await this.pool.query(`DELETE FROM identity.oidc_payloads WHERE model = $1 AND grant_id = $2`, [
      this.model,
      grantId,
    ]);
  }

  private async one(column: 'id' | 'uid' | 'user_code', value: string): Promise<AdapterPayload | undefined> {
    const { rows } = await this.pool.query<Row>(
      `SELECT ${COLUMNS} FROM identity.oidc_payloads WHERE model = $1 AND ${column} = $2 AND ${LIVE} LIMIT 1`,
      [this.model, value],
    );
    const row = rows[0];
    if (!row) return undefined;
    // oidc-provider reads `consumed` (a truthy epoch) to refuse a code or token used twice.
    return row.consumed_at ? { ...row.payload, consumed: Math.floor(row.consumed_at.getTime() / 1000) } : row.payload;
  }
}

/** Deletes expired rows; returns how many. Any instance may run it: it is idempotent. */
export async function deleteExpiredOidcPayloads(pool: Pool): Promise<number> {
  const { rowCount } = await pool.query(`DELETE FROM identity.oidc_payloads WHERE expires_at <= now()`);
  return rowCount ?? 0;
}
