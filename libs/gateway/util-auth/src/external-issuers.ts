import {
  createRemoteJWKSet,
  type CryptoKey,
  decodeJwt,
  errors,
  type FlattenedJWSInput,
  type JWTHeaderParameters,
  jwtVerify,
} from 'jose';
import { AuthErrors } from '@meridian/contracts/identity';
import { type ProblemException, problemFromCode } from '@meridian/gateway/util-http';
import { federatedUserId } from '@meridian/shared/util';
import type { ExternalIssuer } from './ports';
import type { VerifiedToken } from './token-verifier';

/** Asymmetric signatures only: `alg: none` and HMAC (keyed with a public key) are refused before any key is fetched. */
export const EXTERNAL_ALGORITHMS: readonly string[] = ['RS256', 'ES256', 'PS256'];

/** How long a request waits for an issuer's discovery document or JWKS before it is refused (401). */
const FETCH_TIMEOUT_MS = 2000;

type RemoteKeySet = ReturnType<typeof createRemoteJWKSet>;

/** How long after a fetch an unknown `kid` is refused without refetching: made-up kids cost one fetch per period. */
const COOLDOWN_MS = 30_000;

/** jose caches the key set (10 minutes) and refetches it for an unknown `kid` once the cooldown is over. */
const remoteKeySet = (jwksUri: string, cooldownMs: number): RemoteKeySet =>
  createRemoteJWKSet(new URL(jwksUri), { timeoutDuration: FETCH_TIMEOUT_MS, cooldownDuration: cooldownMs });

/** The issuer's keys cannot be had now (endpoint down, slow, or answering nonsense). */
class KeysUnavailable extends Error {}

const message = (err: unknown): string => (err instanceof Error ? err.message : String(err));

/** OpenID Connect Discovery 1.0 §4: the `jwks_uri` of `issuer`, whose document must name the same issuer. */
async function discoverJwksUri(issuer: string): Promise<string> {
  const url = `${issuer.replace(/\/$/, '')}/.well-known/openid-configuration`;
  const res = await fetch(url, {
    headers: { accept: 'application/json' },
    redirect: 'manual',
    signal: AbortSignal.timeout(FETCH_TIMEOUT_MS),
  });
  if (res.status !== 200) throw new Error(`${url} answered ${res.status}`);
  const document = (await res.json()) as { issuer?: unknown; jwks_uri?: unknown };
  if (document.issuer !== issuer) throw new Error(`${url} names another issuer`);
  const jwksUri = document.jwks_uri;
  if (typeof jwksUri !== 'string' || !/^https?:\/\//.test(jwksUri)) throw new Error(`${url} has no jwks_uri`);
  return jwksUri;
}

/** A configured issuer and its key set, created from `jwksUri` or on first use by discovery. */
export class ConfiguredIssuer {
  private keySet: RemoteKeySet | undefined;
  private discovery: Promise<RemoteKeySet> | undefined;

  constructor(
    readonly config: ExternalIssuer,
    private readonly cooldownMs: number,
  ) {
    if (config.jwksUri !== undefined) this.keySet = remoteKeySet(config.jwksUri, cooldownMs);
  }

  /** Requests arriving together share one discovery; a failed one is retried by the next request. */
  private async keys(): Promise<RemoteKeySet> {
    if (this.keySet) return this.keySet;
    this.discovery ??= discoverJwksUri(this.config.issuer).then(
      (uri) => (this.keySet = remoteKeySet(uri, this.cooldownMs)),
      (err: unknown) => {
        this.discovery = undefined;
        throw err;
      },
    );
    return this.discovery;
  }

  /** For jwtVerify: the key of the token's `kid`; a fetch that fails is KeysUnavailable (401, never 5xx). */
  readonly keyFor = async (header: JWTHeaderParameters, token: FlattenedJWSInput): Promise<CryptoKey> => {
    try {
      return await (
        await this.keys()
      )(header, token);
    } catch (err) {
      if (err instanceof errors.JWKSNoMatchingKey || err instanceof errors.JWKSMultipleMatchingKeys) throw err;
      throw new KeysUnavailable(`the keys of ${this.config.issuer} cannot be fetched now: ${message(err)}`);
    }
  };
}

const invalid = (detail: string): ProblemException => problemFromCode(AuthErrors.tokenInvalid, detail);

/** Refusals as 401 problems, as for Meridian's tokens: time claims are TOKEN_EXPIRED, the rest TOKEN_INVALID. */
function problemOf(err: unknown, issuer: string): ProblemException {
  if (err instanceof KeysUnavailable) return invalid(err.message);
  if (err instanceof errors.JWTExpired) return problemFromCode(AuthErrors.tokenExpired, 'the access token has expired');
  if (err instanceof errors.JWTClaimValidationFailed) {
    if (err.claim === 'nbf') return problemFromCode(AuthErrors.tokenExpired, 'the access token is not valid yet (nbf)');
    return invalid(`the access token's ${err.claim} claim is refused: ${err.message}`);
  }
  if (err instanceof errors.JOSEAlgNotAllowed) {
    return invalid(`the access token is not signed with ${EXTERNAL_ALGORITHMS.join(', ')}`);
  }
  if (err instanceof errors.JWKSNoMatchingKey) return invalid(`no key of ${issuer} matches the access token`);
  if (err instanceof errors.JWSSignatureVerificationFailed) return invalid('the access token signature is wrong');
  if (err instanceof errors.JOSEError) return invalid(`the access token is malformed: ${err.message}`);
  return invalid('the access token cannot be read');
}

/**
 * Access tokens issued directly by an organisation's identity provider (`GATEWAY_EXTERNAL_ISSUERS`),
 * for clients of a federated tenant that hold the IdP's token rather than one of Meridian's. The
 * token is verified against the issuer's JWKS (its `iss`, an `aud` containing the configured
 * audience, `exp` and `nbf`); its principal is the federated Meridian user of (tenant, issuer,
 * sub), looked up in the snapshots like any other: so only users who have logged in through
 * federation, with the roles the tenant's mapping gave them, get in.
 */
export class ExternalIssuers {
  private readonly byIssuer: ReadonlyMap<string, ConfiguredIssuer>;

  constructor(
    issuers: readonly ExternalIssuer[],
    private readonly clockToleranceSeconds: number,
    cooldownMs = COOLDOWN_MS,
  ) {
    this.byIssuer = new Map(issuers.map((config) => [config.issuer, new ConfiguredIssuer(config, cooldownMs)]));
  }

  /**
   * The configured issuer a token claims to come from, or undefined (then it is Meridian's to
   * verify). The claim is read unverified: it only chooses whose keys verify the token.
   */
  issuerOf(token: string): ConfiguredIssuer | undefined {
    if (this.byIssuer.size === 0) return undefined;
    let iss: unknown;
    try {
      iss = decodeJwt(token).iss;
    } catch {
      return undefined;
    }
    return typeof iss === 'string' ? this.byIssuer.get(iss) : undefined;
  }

  async verify(token: string, issuer: ConfiguredIssuer, now: Date): Promise<VerifiedToken> {
    const { config } = issuer;
    let payload: Awaited<ReturnType<typeof jwtVerify>>['payload'];
    try {
      ({ payload } = await jwtVerify(token, issuer.keyFor, {
        algorithms: [...EXTERNAL_ALGORITHMS],
        issuer: config.issuer,
        audience: config.audience,
        clockTolerance: this.clockToleranceSeconds,
        currentDate: now,
        requiredClaims: ['exp', 'sub'],
      }));
    } catch (err) {
      throw problemOf(err, config.issuer);
    }
    if (typeof payload.sub !== 'string' || payload.sub === '' || typeof payload.exp !== 'number') {
      throw invalid('the access token has no subject or expiry');
    }
    // An ID token is for the client that logged the user in, not a credential for APIs (Keycloak marks it `typ: ID`).
    if (payload['typ'] === 'ID') throw invalid('an ID token is not an access token');
    return {
      tenantId: config.tenantId,
      subject: federatedUserId(config.tenantId, config.issuer, payload.sub),
      expiresAt: payload.exp,
      notBefore: payload.nbf,
    };
  }
}
