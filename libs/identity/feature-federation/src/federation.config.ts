import { z } from 'zod';
import { FederationIssuer, GroupRoles, PrincipalAttributes, Roles, TenantId } from '@meridian/contracts/identity';
import { type BaseConfig, secretsKeyOf } from '@meridian/shared/service-kit';

/** A tenant's federation configured at start: IDENTITY_FEDERATION is a JSON array of these. */
export const FederationBootstrap = z.strictObject({
  tenantId: TenantId,
  issuer: FederationIssuer,
  clientId: z.string().min(1).max(255),
  /** In clear, from the environment; sealed before it goes anywhere. */
  clientSecret: z.string().min(16).max(256),
  groupRoles: GroupRoles.default({}),
  defaultRoles: Roles.default([]),
  attributes: PrincipalAttributes.prefault({}),
});
export type FederationBootstrap = z.infer<typeof FederationBootstrap>;

/** JSON text from the environment, or the parsed list when read back from a validated config. */
const jsonList = z.unknown().transform((value, ctx) => {
  if (typeof value !== 'string') return value;
  try {
    return JSON.parse(value) as unknown;
  } catch {
    ctx.addIssue({ code: 'custom', message: 'not JSON' });
    return z.NEVER;
  }
});

/**
 * Federation's settings, spread into identity's config schema beside `oidcEnv`
 * (`baseConfigSchema.extend({ ...oidcEnv, ...federationEnv })`) and read back with
 * `federationSettingsOf`. The list is JSON text in the environment, or the list itself when read
 * back from a validated config.
 */
export const federationEnv = {
  /**
   * Tenants whose people log in at their organisation's OpenID provider, configured (idempotently)
   * at every start: `[{"tenantId","issuer","clientId","clientSecret","groupRoles","defaultRoles"}]`.
   */
  IDENTITY_FEDERATION: jsonList
    .pipe(
      z
        .array(FederationBootstrap)
        .max(100)
        .refine((list) => new Set(list.map((f) => f.tenantId)).size === list.length, 'one entry per tenant'),
    )
    .default([]),
  /** How long a login may stay at the external provider (its state and PKCE verifier live this long in Redis). */
  IDENTITY_FEDERATION_SESSION_TTL_S: z.coerce.number().int().min(60).max(3600).default(600),
};

const FederationEnv = z.object(federationEnv);
type FederationEnv = z.infer<typeof FederationEnv>;

/**
 * What the module reads of identity's validated config: its own fragment plus the provider's
 * issuer and cookie keys (oidcEnv: the login flow returns to that issuer, and its cookie keys
 * sign the federation session's cookie too) and the base settings.
 */
export type FederationConfig = Partial<FederationEnv> &
  Pick<BaseConfig, 'NODE_ENV' | 'SECRETS_KEY'> & {
    readonly OIDC_ISSUER: string;
    readonly IDENTITY_COOKIE_KEYS: readonly string[];
  };

export interface FederationServerSettings {
  /** Meridian's issuer: the public base URL of the login pages and the federation callback. */
  readonly publicUrl: string;
  readonly cookieKeys: readonly string[];
  readonly sessionTtlS: number;
  /** SECRETS_KEY: seals and opens the external clients' secrets. */
  readonly secretsKey: Buffer;
  /** External issuers on plain http are refused in production unless they are on loopback. */
  readonly production: boolean;
  readonly bootstrap: readonly FederationBootstrap[];
}

export function federationSettingsOf(config: FederationConfig): FederationServerSettings {
  const c = FederationEnv.parse(config);
  return {
    publicUrl: config.OIDC_ISSUER,
    cookieKeys: config.IDENTITY_COOKIE_KEYS,
    sessionTtlS: c.IDENTITY_FEDERATION_SESSION_TTL_S,
    secretsKey: secretsKeyOf(config),
    production: config.NODE_ENV === 'production',
    bootstrap: c.IDENTITY_FEDERATION,
  };
}
