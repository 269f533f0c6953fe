import { z } from 'zod';
import { defineMessage } from '@meridian/contracts/core';

/** A public EC P-256 key as a JWK: never a private member (`d`). */
export const PublicJwk = z.strictObject({
  kty: z.literal('EC'),
  crv: z.literal('P-256'),
  x: z.string().min(1),
  y: z.string().min(1),
  kid: z.string().min(1),
  alg: z.literal('ES256'),
  use: z.literal('sig'),
});
export type PublicJwk = z.infer<typeof PublicJwk>;

/**
 * One of identity's token-signing keys, on the compacted `meridian.identity.keys` topic keyed by
 * `kid`. A key verifies tokens from `activatesAt` until `expiresAt` (its retirement plus the
 * longest token lifetime); it signs only while it is the newest active key. A verifier picks the
 * key by the token's `kid` and never calls identity.
 */
export const SigningKeyV1 = defineMessage(
  'meridian.identity.signing-key.v1',
  'event',
  z.strictObject({
    issuer: z.url(),
    jwk: PublicJwk,
    createdAt: z.iso.datetime({ offset: true }),
    activatesAt: z.iso.datetime({ offset: true }),
    retiredAt: z.iso.datetime({ offset: true }).nullable(),
    expiresAt: z.iso.datetime({ offset: true }).nullable(),
  }),
  "A public key identity signs access tokens with (compacted by kid: the key's latest state wins).",
);
