import { CodedError } from '@meridian/contracts/core';
import { AccountErrors } from '@meridian/contracts/identity';
import { openSecret, sealSecret, SealedSecretError } from '@meridian/shared/util';
import { hashPassword } from './password-hash';

export type SecretKind = 'password' | 'client secret';

const MIN_LENGTH: Readonly<Record<SecretKind, number>> = { password: 8, 'client secret': 16 };
const MAX_LENGTH = 256;

/** Opens a sealed password or client secret from a command: IDENTITY.SECRET_INVALID / SECRET_TOO_WEAK. */
export function openSealedInput(key: Buffer, sealed: string, kind: SecretKind): string {
  let plain: string;
  try {
    plain = openSecret(key, sealed);
  } catch (err) {
    if (err instanceof SealedSecretError) {
      throw new CodedError(AccountErrors.secretInvalid, `the sealed ${kind} does not open with SECRETS_KEY`);
    }
    throw err;
  }
  checkStrength(plain, kind);
  return plain;
}

export function checkStrength(plain: string, kind: SecretKind): void {
  if (plain.length < MIN_LENGTH[kind] || plain.length > MAX_LENGTH) {
    throw new CodedError(AccountErrors.secretTooWeak, `a ${kind} has ${MIN_LENGTH[kind]} to ${MAX_LENGTH} characters`);
  }
}

/** What identity stores of a password: its scrypt hash, sealed. */
export async function sealedPasswordHash(key: Buffer, password: string): Promise<string> {
  return sealSecret(key, await hashPassword(password));
}
