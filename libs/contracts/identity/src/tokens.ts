/**
 * What Meridian's access tokens carry beside the registered claims (iss, sub, aud, exp, iat, jti):
 * the tenant and the granted scopes. Roles and attributes are not in the token: the gateway reads
 * them from the principal snapshots, so a revoked role is refused within seconds, not at expiry.
 */
export const TokenClaims = {
  tenant: 'tenant',
  scope: 'scope',
  clientId: 'client_id',
} as const;

/** The audience (RFC 8707 resource indicator) of tokens for Meridian's API. */
export const API_AUDIENCE = 'urn:meridian:api';

/** Scopes a client may ask for; `api` is the API itself. */
export const ApiScopes = ['api', 'offline_access', 'openid', 'profile', 'email'] as const;
