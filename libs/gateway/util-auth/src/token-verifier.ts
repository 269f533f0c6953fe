import { Inject, Injectable } from '@nestjs/common';
import { type CryptoKey, errors, type JWTHeaderParameters, jwtVerify } from 'jose';
import { AuthErrors, TenantId, TokenClaims } from '@meridian/contracts/identity';
import { type ProblemException, problemFromCode } from '@meridian/gateway/util-http';
import { ExternalIssuers } from './external-issuers';
import { AUTH_SETTINGS, type AuthSettings, SIGNING_KEYS, type SigningKeys } from './ports';

/** What the gateway takes from a verified access token: whose it is. Roles come from snapshots. */
export interface VerifiedToken {
  readonly tenantId: string;
  readonly subject: string;
  /** Epoch seconds. */
  readonly expiresAt: number;
  readonly notBefore: number | undefined;
}

interface Verified {
  readonly token: VerifiedToken;
  readonly kid: string;
  readonly key: CryptoKey;
}

/** Verified tokens remembered, so a client's next request costs a map lookup instead of an ECDSA check. */
const CACHE_SIZE = 10_000;

const invalid = (detail: string): ProblemException => problemFromCode(AuthErrors.tokenInvalid, detail);

/** Thrown by the key lookup; jose passes it through unchanged. */
class KeyRefused extends Error {}

/** jose's refusals as 401 problems: time claims are TOKEN_EXPIRED, everything else TOKEN_INVALID. */
function problemOf(err: unknown): ProblemException {
  if (err instanceof KeyRefused) return invalid(err.message);
  if (err instanceof errors.JWTExpired) return problemFromCode(AuthErrors.tokenExpired, 'the access token has expired');
  if (err instanceof errors.JWTClaimValidationFailed) {
    if (err.claim === 'nbf') return problemFromCode(AuthErrors.tokenExpired, 'the access token is not valid yet (nbf)');
    return invalid(`the access token's ${err.claim} claim is refused: ${err.message}`);
  }
  if (err instanceof errors.JOSEAlgNotAllowed) return invalid('the access token is not signed with ES256');
  if (err instanceof errors.JWSSignatureVerificationFailed) return invalid('the access token signature is wrong');
  if (err instanceof errors.JOSEError) return invalid(`the access token is malformed: ${err.message}`);
  return invalid('the access token cannot be read');
}

/**
 * Verifies identity's ES256 access tokens with jose, against the public keys identity publishes
 * on `meridian.identity.keys` (never by calling identity): header `typ: at+jwt` and a `kid` that
 * names a key usable now and belonging to the configured issuer; `iss`, `aud`, `exp` and `nbf`
 * (with a small clock tolerance); `sub` and `tenant`. Only ES256 is accepted, so `alg: none`
 * and an HMAC "signed" with the public key fail before any key is used. A token whose `iss` is a
 * configured external issuer goes to `ExternalIssuers` instead (after the cache lookup, so Meridian's
 * remembered tokens cost nothing more).
 */
@Injectable()
export class TokenVerifier {
  private readonly cache = new Map<string, Verified>();
  private readonly external: ExternalIssuers;

  constructor(
    @Inject(AUTH_SETTINGS) private readonly settings: AuthSettings,
    @Inject(SIGNING_KEYS) private readonly keys: SigningKeys,
  ) {
    this.external = new ExternalIssuers(settings.externalIssuers ?? [], settings.clockToleranceSeconds);
  }

  async verify(token: string, now: Date): Promise<VerifiedToken> {
    const seconds = now.getTime() / 1000;
    const cached = this.cache.get(token);
    if (cached && this.stillGood(cached, now, seconds)) return cached.token;
    if (cached) this.cache.delete(token);
    const external = this.external.issuerOf(token);
    if (external) return this.external.verify(token, external, now);
    const verified = await this.verifyFully(token, now);
    if (this.cache.size >= CACHE_SIZE) this.cache.delete(this.cache.keys().next().value as string);
    this.cache.set(token, verified);
    return verified.token;
  }

  /** A remembered token is good while its times hold and its kid still names the same usable key. */
  private stillGood(v: Verified, now: Date, seconds: number): boolean {
    const tolerance = this.settings.clockToleranceSeconds;
    if (v.token.expiresAt <= seconds - tolerance) return false;
    if (v.token.notBefore !== undefined && v.token.notBefore > seconds + tolerance) return false;
    const current = this.keys.keyFor(v.kid, now);
    return current.usable && current.key === v.key;
  }

  private async verifyFully(token: string, now: Date): Promise<Verified> {
    let used: { kid: string; key: CryptoKey } | undefined;
    const keyFor = (header: JWTHeaderParameters): CryptoKey => {
      if (header.alg !== 'ES256') throw new KeyRefused('the access token is not signed with ES256');
      if (typeof header.kid !== 'string' || header.kid === '') throw new KeyRefused('the access token has no kid');
      const found = this.keys.keyFor(header.kid, now);
      if (!found.usable) throw new KeyRefused(found.reason);
      if (found.issuer !== this.settings.issuer) throw new KeyRefused(`key ${header.kid} is not the issuer's`);
      used = { kid: header.kid, key: found.key };
      return found.key;
    };
    let payload: Awaited<ReturnType<typeof jwtVerify>>['payload'];
    try {
      ({ payload } = await jwtVerify(token, keyFor, {
        algorithms: ['ES256'],
        typ: 'at+jwt',
        issuer: this.settings.issuer,
        audience: this.settings.audience,
        clockTolerance: this.settings.clockToleranceSeconds,
        currentDate: now,
        requiredClaims: ['exp', 'sub', TokenClaims.tenant],
      }));
    } catch (err) {
      throw problemOf(err);
    }
    const tenant = TenantId.safeParse(payload[TokenClaims.tenant]);
    if (!tenant.success) throw invalid('the access token has no valid tenant claim');
    if (!used || typeof payload.sub !== 'string' || payload.sub === '' || typeof payload.exp !== 'number') {
      throw invalid('the access token has no subject or expiry');
    }
    return {
      kid: used.kid,
      key: used.key,
      token: { tenantId: tenant.data, subject: payload.sub, expiresAt: payload.exp, notBefore: payload.nbf },
    };
  }
}
