import { describe, expect, it } from '@jest/globals';
import { hashPassword, verifyPasswordHash } from './password-hash';

describe('password hashes (scrypt)', () => {
  it('encodes scrypt$16384$8$1$<16-byte salt>$<32-byte hash> and verifies only the right password', async () => {
    const encoded = await hashPassword('correct horse battery');
    const [scheme, n, r, p, salt, hash] = encoded.split('$');
    expect([scheme, n, r, p]).toEqual(['scrypt', '16384', '8', '1']);
    expect(Buffer.from(salt, 'base64url')).toHaveLength(16);
    expect(Buffer.from(hash, 'base64url')).toHaveLength(32);
    expect(encoded).not.toContain('correct horse');
    expect(await verifyPasswordHash('correct horse battery', encoded)).toBe(true);
    expect(await verifyPasswordHash('correct horse batterY', encoded)).toBe(false);
    expect(await verifyPasswordHash('', encoded)).toBe(false);
  });

  it('salts every hash: the same password twice gives two hashes, both verifying', async () => {
    const [a, b] = await Promise.all([hashPassword('same'), hashPassword('same')]);
    expect(a).not.toBe(b);
    expect(await verifyPasswordHash('same', a)).toBe(true);
    expect(await verifyPasswordHash('same', b)).toBe(true);
  });

  it('verifies a hash made with other (stored) parameters, so the cost can change later', async () => {
    const encoded = await hashPassword('pw');
    const [, , , , salt] = encoded.split('$');
    const { scryptSync } = await import('node:crypto');
    const cheap = scryptSync('pw', Buffer.from(salt, 'base64url'), 32, { N: 1024, r: 8, p: 1 }).toString('base64url');
    expect(await verifyPasswordHash('pw', `scrypt$1024$8$1$${salt}$${cheap}`)).toBe(true);
  });

  it('refuses malformed encodings and absurd costs without computing them', async () => {
    const encoded = await hashPassword('pw');
    const [, , , , salt, hash] = encoded.split('$');
    for (const bad of [
      '',
      'bcrypt$10$abc',
      `scrypt$16384$8$1$${salt}`,
      `scrypt$16383$8$1$${salt}$${hash}`,
      `scrypt$${2 ** 24}$8$1$${salt}$${hash}`,
      `scrypt$16384$8$1$${salt}$AAAA`,
    ]) {
      expect(await verifyPasswordHash('pw', bad)).toBe(false);
    }
  });
});
