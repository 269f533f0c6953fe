import type { CryptoKey } from 'jose';
import type { Principal } from '@meridian/contracts/identity';

/** How the gateway checks access tokens (validated in apps/gateway/src/config.ts). */
export interface AuthSettings {
  /** The issuer of identity's tokens (`OIDC_ISSUER`): `iss` must be it, and the signing key must be its. */
  readonly issuer: string;
  /** The audience tokens for the API carry (`urn:meridian:api`). */
  readonly audience: string;
  /** Clock skew tolerated on `exp` and `nbf`, seconds. */
  readonly clockToleranceSeconds: number;
  /** Identity providers whose own access tokens are accepted (`GATEWAY_EXTERNAL_ISSUERS`); none when absent. */
  readonly externalIssuers?: readonly ExternalIssuer[];
}

/**
 * An organisation's identity provider (e.g. its Keycloak realm) whose access tokens the gateway
 * accepts directly, for the users of one tenant who have logged in through federation.
 */
export interface ExternalIssuer {
  /** Its `iss`, exactly as its tokens carry it. */
  readonly issuer: string;
  /** Where its public keys are; discovered from `<issuer>/.well-known/openid-configuration` when absent. */
  readonly jwksUri?: string;
  /** What `aud` must contain: the audience the IdP puts in tokens meant for Meridian. */
  readonly audience: string;
  /** The tenant whose federated users these tokens belong to. */
  readonly tenantId: string;
}

export const AUTH_SETTINGS = Symbol('meridian.gateway.auth-settings');

/** A key that may verify a token now, with the issuer it belongs to. */
export interface VerificationKey {
  readonly key: CryptoKey;
  readonly issuer: string;
}

/** The key a token's `kid` names, or why it may not verify (unknown, not active yet, expired). */
export type KeyLookup =
  ({ readonly usable: true } & VerificationKey) | { readonly usable: false; readonly reason: string };

/** Identity's public signing keys, as the gateway learned them (data-access: KeyDirectory). */
export interface SigningKeys {
  readonly ready: boolean;
  keyFor(kid: string, now: Date): KeyLookup;
}

export const SIGNING_KEYS = Symbol('meridian.gateway.signing-keys');

/** The current principals (data-access: PrincipalDirectory); undefined when unknown or revoked. */
export interface PrincipalSource {
  readonly ready: boolean;
  get(tenantId: string, subject: string): Principal | undefined;
}

export const PRINCIPAL_SOURCE = Symbol('meridian.gateway.principal-source');

/** Admitted, or refused with the whole seconds to wait (Retry-After). */
export type Admission = { readonly allowed: true } | { readonly allowed: false; readonly retryAfterSeconds: number };

/** The per-principal request budget (data-access: PrincipalRateLimit). */
export interface RequestBudget {
  admit(principal: Principal): Promise<Admission>;
  /** The sustained rate of the principal's tenant, for the problem's detail. */
  describe(tenantId: string): string;
}

export const REQUEST_BUDGET = Symbol('meridian.gateway.request-budget');
