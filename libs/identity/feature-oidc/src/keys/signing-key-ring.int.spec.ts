import { randomBytes } from 'node:crypto';
import { afterAll, beforeAll, describe, expect, it } from '@jest/globals';
import type { Pool } from 'pg';
import { openSecret } from '@meridian/shared/util';
import type { MessageBus } from '@meridian/shared/messaging';
import { createDatabasePool, secretsKeyOf } from '@meridian/shared/service-kit';
import { createTestBus, eventually, testDatabaseUrl } from '@meridian/shared/testing';
import { silentLog } from '@meridian/shared/util';
import { migrateOidc } from '../oidc.migrations';
import { oidcSettingsOf } from '../oidc.config';
import { KeysTopicReader } from '../testing/oidc-harness';
import { KeyPublisher } from './key-publisher';
import { SigningKeyRing } from './signing-key-ring';

const SECRETS_KEY = randomBytes(32).toString('base64');

/**
 * Two identity instances over one key table: the advisory lock lets one of them create the first
 * key and one of them rotate, and each picks up what the other did when it rereads the table.
 */
describe('SigningKeyRing across two instances', () => {
  let pool: Pool;
  let bus: MessageBus;
  let reader: KeysTopicReader;
  const issuer = `http://ring-${randomBytes(4).toString('hex')}.test`;
  const settingsInput = {
    HOST: '127.0.0.1',
    NODE_ENV: 'test' as const,
    SECRETS_KEY,
    OIDC_ISSUER: issuer,
    IDENTITY_KEY_ACTIVATION_DELAY_MS: 300,
    IDENTITY_KEY_RELOAD_MS: 200,
  };
  const settings = oidcSettingsOf(settingsInput);
  const rings: SigningKeyRing[] = [];
  const ring = (): SigningKeyRing => {
    const r = new SigningKeyRing(pool, new KeyPublisher(bus, issuer), settings, silentLog);
    rings.push(r);
    return r;
  };
  const signerOf = (r: SigningKeyRing): string | undefined => r.providerKeys()?.signer.kid;
  const rows = async () =>
    (
      await pool.query<{ kid: string; private_jwk: string; activates_at: Date; retired_at: Date | null }>(
        'SELECT kid, private_jwk, activates_at, retired_at FROM identity.signing_keys ORDER BY activates_at',
      )
    ).rows;

  beforeAll(async () => {
    pool = createDatabasePool({
      url: testDatabaseUrl(),
      max: 6,
      applicationName: 'meridian-key-ring-spec',
      idleInTransactionTimeoutMs: 60_000,
      log: silentLog,
    });
    await migrateOidc(pool);
    await pool.query('DELETE FROM identity.signing_keys');
    bus = createTestBus('key-ring');
    reader = new KeysTopicReader(bus, issuer);
    await reader.start();
  });

  afterAll(async () => {
    for (const r of rings) r.stop();
    await pool?.query('DELETE FROM identity.signing_keys');
    await reader?.stop();
    await bus?.close();
    await pool?.end();
  });

  it('creates exactly one first key when two instances start together, and both sign with it once active', async () => {
    const [a, b] = [ring(), ring()];
    await Promise.all([a.start(), b.start()]);
    const keys = await rows();
    expect(keys).toHaveLength(1);
    // Sealed at rest: the private JWK is not readable without SECRETS_KEY.
    expect(keys[0]?.private_jwk).toMatch(/^v1\./);
    expect(
      JSON.parse(openSecret(secretsKeyOf({ SECRETS_KEY, NODE_ENV: 'test' }), keys[0]!.private_jwk)),
    ).toHaveProperty('d');
    // Pending: published, not signing.
    expect(a.providerKeys(new Date(keys[0]!.activates_at.getTime() - 1))).toBeNull();
    await reader.waitFor(keys[0]!.kid, (k) => k.retiredAt === null);
    await eventually(() => {
      expect(signerOf(a)).toBe(keys[0]?.kid);
      expect(signerOf(b)).toBe(keys[0]?.kid);
    });
  });

  it('switches the other instance to a key one instance rotated, and retires the old key once', async () => {
    const [a, b] = rings as [SigningKeyRing, SigningKeyRing];
    const old = signerOf(a) as string;
    // Both at once: the second joins the first's rotation.
    const [first, second] = await Promise.all([a.rotate('spec'), b.rotate('spec')]);
    expect(first.key.kid).toBe(second.key.kid);
    expect([first.joined, second.joined].sort()).toEqual([false, true]);
    const next = first.key.kid;
    await eventually(
      () => {
        expect(signerOf(a)).toBe(next);
        expect(signerOf(b)).toBe(next);
      },
      { timeoutMs: 5000 },
    );
    await eventually(async () => {
      const keys = await rows();
      expect(keys.map((k) => [k.kid, k.retired_at !== null])).toEqual([
        [old, true],
        [next, false],
      ]);
    });
    // Both instances serve the retired key beside the new signer until it expires.
    expect(a.providerKeys()?.others.map((k) => k.kid)).toEqual([old]);
    expect(b.providerKeys()?.others.map((k) => k.kid)).toEqual([old]);
    const retired = await reader.waitFor(old, (k) => k.retiredAt !== null);
    expect(Date.parse(retired.expiresAt ?? '') - Date.parse(retired.retiredAt ?? '')).toBe(
      settings.retiredKeyLifetimeMs,
    );
  });

  it('leaves out keys sealed under another SECRETS_KEY, and recovers by rotating', async () => {
    const otherSettings = oidcSettingsOf({ ...settingsInput, SECRETS_KEY: randomBytes(32).toString('base64') });
    const c = new SigningKeyRing(pool, new KeyPublisher(bus, issuer), otherSettings, silentLog);
    rings.push(c);
    await c.start();
    // The active key exists, but this instance cannot open it: it does not sign at all.
    expect(c.snapshot().length).toBeGreaterThan(0);
    expect(c.providerKeys()).toBeNull();
    const { key } = await c.rotate('SECRETS_KEY changed');
    await eventually(() => expect(signerOf(c)).toBe(key.kid), { timeoutMs: 5000 });
  });

  it('rotates on schedule once the signer is older than IDENTITY_KEY_ROTATION_HOURS', async () => {
    const unretired = async () => (await rows()).filter((k) => k.retired_at === null).length;
    // Settled first: the previous rotation's old key retired, one key signing.
    await eventually(async () => expect(await unretired()).toBe(1), { timeoutMs: 5000 });
    for (const r of rings) r.stop();
    // An instance whose clock reads one rotation period (and a minute) later.
    const later = new Date(Date.now() + settings.rotationMs + 60_000);
    const d = new SigningKeyRing(pool, new KeyPublisher(bus, issuer), settings, silentLog, () => later);
    await d.refresh(true);
    const pending = d.snapshot().filter((k) => k.retiredAt === null && k.activatesAt > later);
    expect(pending).toHaveLength(1);
    expect(pending[0]!.activatesAt.getTime() - later.getTime()).toBe(settings.activationDelayMs);
    expect(await unretired()).toBe(2);
    await reader.waitFor(pending[0]!.kid, (k) => k.retiredAt === null);
    // Read again at the same moment: the rotation is under way, no second key.
    await d.refresh(true);
    expect(await unretired()).toBe(2);
    // Retired keys whose expiry is a day past at that clock are gone from the table.
    expect(await rows()).toHaveLength(2);
  });
});
