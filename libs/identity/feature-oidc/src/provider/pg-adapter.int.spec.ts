import { randomBytes } from 'node:crypto';
import { afterAll, beforeAll, describe, expect, it } from '@jest/globals';
import type { Pool } from 'pg';
import { createDatabasePool } from '@meridian/shared/service-kit';
import { testDatabaseUrl } from '@meridian/shared/testing';
import { silentLog, sleep } from '@meridian/shared/util';
import { migrateOidc } from '../oidc.migrations';
import { deleteExpiredOidcPayloads, PgOidcAdapter } from './pg-adapter';

/** oidc-provider's storage contract over `identity.oidc_payloads`. */
describe('PgOidcAdapter', () => {
  let pool: Pool;
  const id = (): string => randomBytes(8).toString('hex');

  beforeAll(async () => {
    pool = createDatabasePool({
      url: testDatabaseUrl(),
      max: 2,
      applicationName: 'meridian-oidc-adapter-spec',
      idleInTransactionTimeoutMs: 60_000,
      log: silentLog,
    });
    await migrateOidc(pool);
  });

  afterAll(async () => {
    await pool?.end();
  });

  it('finds a payload by id, uid and user code, per model', async () => {
    const sessions = new PgOidcAdapter(pool, 'Session');
    const codes = new PgOidcAdapter(pool, 'DeviceCode');
    const [sid, uid, code, userCode] = [id(), id(), id(), id()];
    await sessions.upsert(sid, { uid, accountId: 'acme/u1' }, 60);
    await codes.upsert(code, { userCode, grantId: 'g' }, 60);

    expect(await sessions.find(sid)).toEqual({ uid, accountId: 'acme/u1' });
    expect(await sessions.findByUid(uid)).toEqual({ uid, accountId: 'acme/u1' });
    expect(await codes.findByUserCode(userCode)).toEqual({ userCode, grantId: 'g' });
    // Models do not see each other's rows.
    expect(await codes.find(sid)).toBeUndefined();

    await sessions.upsert(sid, { uid, accountId: 'acme/u2' }, 60);
    expect(await sessions.find(sid)).toMatchObject({ accountId: 'acme/u2' });
    await sessions.destroy(sid);
    expect(await sessions.find(sid)).toBeUndefined();
  });

  it('marks a consumed code, and revokes every token of a grant', async () => {
    const codes = new PgOidcAdapter(pool, 'AuthorizationCode');
    const refresh = new PgOidcAdapter(pool, 'RefreshToken');
    const [grantId, code, token, other] = [id(), id(), id(), id()];
    await codes.upsert(code, { grantId }, 60);
    await codes.consume(code);
    const consumed = await codes.find(code);
    expect(consumed?.consumed).toEqual(expect.any(Number));

    await refresh.upsert(token, { grantId }, 60);
    await refresh.upsert(other, { grantId: id() }, 60);
    await refresh.revokeByGrantId(grantId);
    expect(await refresh.find(token)).toBeUndefined();
    expect(await refresh.find(other)).toBeDefined();
  });

  it('hides an expired payload at once and deletes it on cleanup', async () => {
    const interactions = new PgOidcAdapter(pool, 'Interaction');
    const short = id();
    await interactions.upsert(short, { returnTo: '/auth/x' }, 1);
    expect(await interactions.find(short)).toBeDefined();
    await sleep(1100);
    expect(await interactions.find(short)).toBeUndefined();
    expect(await deleteExpiredOidcPayloads(pool)).toBeGreaterThanOrEqual(1);
    const { rowCount } = await pool.query('SELECT 1 FROM identity.oidc_payloads WHERE id = $1', [short]);
    expect(rowCount).toBe(0);
  });
});
