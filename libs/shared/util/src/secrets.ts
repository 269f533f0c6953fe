import { createCipheriv, createDecipheriv, randomBytes } from 'node:crypto';

/**
 * Secrets at rest and in commands (DESIGN §6): AES-256-GCM under the service's SECRETS_KEY, as
 * `v1.<iv>.<tag>.<ciphertext>` in base64url. The tag authenticates the whole ciphertext, so a
 * sealed value that was altered, truncated or sealed under another key does not open at all.
 */
const VERSION = 'v1';
const IV_BYTES = 12;
const TAG_BYTES = 16;
export const SECRET_KEY_BYTES = 32;

const SEALED = /^v1\.([A-Za-z0-9_-]{16})\.([A-Za-z0-9_-]{22})\.([A-Za-z0-9_-]*)$/;

/** A sealed value that does not open: malformed, altered, or sealed under another key. */
export class SealedSecretError extends Error {
  constructor(message: string) {
    super(message);
    this.name = 'SealedSecretError';
  }
}

function assertKey(key: Buffer): void {
  if (key.length !== SECRET_KEY_BYTES) throw new Error(`a secrets key is ${SECRET_KEY_BYTES} bytes, not ${key.length}`);
}

/** True when `value` has the sealed form (says nothing about whether it opens). */
export const isSealedSecret = (value: string): boolean => SEALED.test(value);

/** Encrypts `plain` under `key` with a fresh random IV: sealing the same value twice gives two strings. */
export function sealSecret(key: Buffer, plain: string): string {
  assertKey(key);
  const iv = randomBytes(IV_BYTES);
  const cipher = createCipheriv('aes-256-gcm', key, iv, { authTagLength: TAG_BYTES });
  const ciphertext = Buffer.concat([cipher.update(plain, 'utf8'), cipher.final()]);
  const tag = cipher.getAuthTag();
  return [VERSION, iv, tag, ciphertext].map((p) => (typeof p === 'string' ? p : p.toString('base64url'))).join('.');
}

/** The plain value of a sealed secret; SealedSecretError when it does not open with `key`. */
export function openSecret(key: Buffer, sealed: string): string {
  assertKey(key);
  const parts = SEALED.exec(sealed);
  if (!parts) throw new SealedSecretError('not a sealed secret (v1.<iv>.<tag>.<ciphertext>)');
  const [, iv, tag, ciphertext] = parts;
  try {
    const decipher = createDecipheriv('aes-256-gcm', key, Buffer.from(iv, 'base64url'), { authTagLength: TAG_BYTES });
    decipher.setAuthTag(Buffer.from(tag, 'base64url'));
    return Buffer.concat([decipher.update(Buffer.from(ciphertext, 'base64url')), decipher.final()]).toString('utf8');
  } catch {
    // Never the cause: it would say nothing useful and could say too much.
    throw new SealedSecretError('the sealed secret does not open with this key (altered, or sealed under another key)');
  }
}
