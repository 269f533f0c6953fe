import { createHmac, randomBytes } from 'node:crypto';

const SECRET_BYTES = 32;

/** What a repeatable creation is: its tenant, its Idempotency-Key and the client id it creates. */
export interface SecretDerivation {
  readonly tenantId: string;
  readonly idempotencyKey: string;
  readonly clientId: string;
}

/**
 * A service account's client secret: 32 random bytes, base64url. With an Idempotency-Key, the 32
 * bytes are an HMAC-SHA256 under SECRETS_KEY of the tenant, key and client id instead: as
 * unguessable without SECRETS_KEY (which opens the sealed secret anyway), and the same on a retry,
 * so the retry's answer shows the secret identity stored from the first attempt (whose command the
 * event store keeps) even when Redis has forgotten the key. The secret is never kept in Redis.
 */
export function clientSecret(secretsKey: Buffer, derivation?: SecretDerivation): string {
  if (!derivation) return randomBytes(SECRET_BYTES).toString('base64url');
  const { tenantId, idempotencyKey, clientId } = derivation;
  return createHmac('sha256', secretsKey)
    .update(`meridian:client-secret\u0000${tenantId}\u0000${idempotencyKey}\u0000${clientId}`)
    .digest()
    .toString('base64url');
}

/**
 * What stands for a password in the body an Idempotency-Key is bound to (Redis keeps a SHA-256 of
 * that body): an HMAC under SECRETS_KEY, so the stored hash cannot be tested against guessed passwords.
 */
export const secretFingerprint = (secretsKey: Buffer, secret: string): string =>
  createHmac('sha256', secretsKey).update(`meridian:secret-fingerprint\u0000${secret}`).digest('base64url');
