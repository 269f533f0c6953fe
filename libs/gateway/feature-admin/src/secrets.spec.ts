import { describe, expect, it } from '@jest/globals';
import { clientSecret, secretFingerprint } from './secrets';

const key = Buffer.alloc(32, 7);
const other = Buffer.alloc(32, 8);
const derivation = { tenantId: 'acme', idempotencyKey: 'k-1', clientId: 'bot' };

describe('client secrets', () => {
  it('are 32 bytes, base64url, and different every time without an Idempotency-Key', () => {
    const secrets = new Set(Array.from({ length: 50 }, () => clientSecret(key)));
    expect(secrets.size).toBe(50);
    for (const s of secrets) expect(Buffer.from(s, 'base64url')).toHaveLength(32);
    for (const s of secrets) expect(s).toMatch(/^[A-Za-z0-9_-]{43}$/);
  });

  it('with an Idempotency-Key: the same on a retry, another for any other tenant, key, client or SECRETS_KEY', () => {
    const first = clientSecret(key, derivation);
    expect(clientSecret(key, { ...derivation })).toBe(first);
    expect(Buffer.from(first, 'base64url')).toHaveLength(32);
    const variants = [
      clientSecret(key, { ...derivation, tenantId: 'other' }),
      clientSecret(key, { ...derivation, idempotencyKey: 'k-2' }),
      clientSecret(key, { ...derivation, clientId: 'bot-2' }),
      clientSecret(other, derivation),
    ];
    expect(new Set([first, ...variants]).size).toBe(5);
  });

  it('fingerprints a password for the Idempotency-Key body: stable, keyed, never the password', () => {
    const fingerprint = secretFingerprint(key, 'correct horse');
    expect(secretFingerprint(key, 'correct horse')).toBe(fingerprint);
    expect(secretFingerprint(key, 'correct horse!')).not.toBe(fingerprint);
    expect(secretFingerprint(other, 'correct horse')).not.toBe(fingerprint);
    expect(fingerprint).not.toContain('correct');
  });
});
