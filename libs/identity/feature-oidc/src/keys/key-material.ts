import { calculateJwkThumbprint, exportJWK, generateKeyPair } from 'jose';
import { PublicJwk } from '@meridian/contracts/identity';
import type { PrivateSigningJwk } from '../provider/build-provider';

export interface NewSigningKey {
  readonly kid: string;
  readonly privateJwk: PrivateSigningJwk;
  readonly publicJwk: PublicJwk;
}

/** A fresh ES256 (P-256) key; its kid is the RFC 7638 thumbprint, so it names the key material itself. */
export async function generateSigningKey(): Promise<NewSigningKey> {
  const { privateKey } = await generateKeyPair('ES256', { extractable: true });
  const jwk = await exportJWK(privateKey);
  const kid = await calculateJwkThumbprint(jwk, 'sha256');
  const privateJwk: PrivateSigningJwk = { ...jwk, kid, alg: 'ES256', use: 'sig' };
  return { kid, privateJwk, publicJwk: publicJwkOf(privateJwk) };
}

/** The public members only: what the keys topic and `/jwks` may carry. */
export const publicJwkOf = (jwk: PrivateSigningJwk): PublicJwk =>
  PublicJwk.parse({ kty: jwk.kty, crv: jwk.crv, x: jwk.x, y: jwk.y, kid: jwk.kid, alg: 'ES256', use: 'sig' });
