import { randomBytes } from 'node:crypto';
import { describe, expect, it } from '@jest/globals';
import { isSealedSecret, openSecret, sealSecret, SealedSecretError } from './secrets';

const key = randomBytes(32);

/** Flips one character of a base64url segment to another valid one. */
const flip = (s: string, at: number): string => s.slice(0, at) + (s[at] === 'A' ? 'B' : 'A') + s.slice(at + 1);

describe('sealSecret / openSecret (AES-256-GCM)', () => {
  it('opens what it sealed, including empty and non-ASCII text, and never shows the plain text', () => {
    for (const plain of ['s3cret-passw0rd', '', 'pässwörd ✓ 密码']) {
      const sealed = sealSecret(key, plain);
      expect(isSealedSecret(sealed)).toBe(true);
      expect(sealed).toMatch(/^v1\.[\w-]{16}\.[\w-]{22}\.[\w-]*$/);
      if (plain) expect(sealed).not.toContain(plain);
      expect(openSecret(key, sealed)).toBe(plain);
    }
  });

  it('seals the same value differently each time (random IV)', () => {
    const a = sealSecret(key, 'same');
    const b = sealSecret(key, 'same');
    expect(a).not.toBe(b);
    expect([openSecret(key, a), openSecret(key, b)]).toEqual(['same', 'same']);
  });

  it('refuses a value sealed under another key', () => {
    const sealed = sealSecret(randomBytes(32), 'other key');
    expect(() => openSecret(key, sealed)).toThrow(SealedSecretError);
  });

  it('refuses an altered ciphertext, IV or tag, and a truncated value', () => {
    const sealed = sealSecret(key, 'integrity matters');
    const [v, iv, tag, ct] = sealed.split('.');
    for (const altered of [
      [v, iv, tag, flip(ct, 3)].join('.'),
      [v, flip(iv, 0), tag, ct].join('.'),
      [v, iv, flip(tag, 5), ct].join('.'),
      [v, iv, tag, ct.slice(0, -2)].join('.'),
    ]) {
      expect(() => openSecret(key, altered)).toThrow(SealedSecretError);
    }
  });

  it('refuses what is not a sealed value at all, and says nothing of the key', () => {
    for (const bad of ['plain text', 'v2.aaaaaaaaaaaaaaaa.aaaaaaaaaaaaaaaaaaaaaa.aa', 'v1.short.tag.ct', '']) {
      expect(isSealedSecret(bad)).toBe(false);
      expect(() => openSecret(key, bad)).toThrow(SealedSecretError);
    }
  });

  it('insists on a 32-byte key', () => {
    expect(() => sealSecret(randomBytes(16), 'x')).toThrow(/32 bytes/);
    expect(() => openSecret(randomBytes(31), sealSecret(key, 'x'))).toThrow(/32 bytes/);
  });
});
