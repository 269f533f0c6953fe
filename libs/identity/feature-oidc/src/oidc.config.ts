import { z } from 'zod';
import { type BaseConfig, ConfigError, secretsKeyOf } from '@meridian/shared/service-kit';

/** A comma-separated list from the environment (or the list itself, when read back from a validated config). */
const list = (fallback: string) =>
  z
    .union([z.string(), z.array(z.string())])
    .default(fallback)
    .transform((v) =>
      (typeof v === 'string' ? v.split(',') : v).map((item) => item.trim()).filter((item) => item.length > 0),
    );

/** Cookie signing keys for development only (refused in production): a deployment sets IDENTITY_COOKIE_KEYS. */
const DEV_COOKIE_KEYS = 'meridian-dev-cookie-key-1,meridian-dev-cookie-key-2';

const CONSOLE_REDIRECTS = [
  'http://127.0.0.1:8080/console/',
  'http://localhost:8080/console/',
  'http://127.0.0.1:8080/docs/oauth2-redirect.html',
  'http://localhost:8080/docs/oauth2-redirect.html',
].join(',');

/**
 * The OpenID Connect provider's settings, spread into identity's config schema
 * (`baseConfigSchema.extend({ ...oidcEnv })`) and read back with `oidcSettingsOf`, so the feature
 * owns its knobs.
 */
export const oidcEnv = {
  /** The public port of the protocol endpoints and the login page (the management port stays apart). */
  IDENTITY_OIDC_PORT: z.coerce.number().int().min(1).max(65535).default(8090),
  /** The issuer: the public URL of the provider, exactly as tokens carry it in `iss`. */
  OIDC_ISSUER: z
    .url()
    .refine((u) => !u.endsWith('/'), 'no trailing slash: tokens carry it exactly as given')
    .default('http://127.0.0.1:8090'),
  IDENTITY_ACCESS_TOKEN_TTL_S: z.coerce.number().int().min(30).max(86_400).default(300),
  IDENTITY_REFRESH_TOKEN_TTL_S: z.coerce.number().int().min(60).max(31_536_000).default(1_209_600),
  IDENTITY_KEY_ROTATION_HOURS: z.coerce.number().min(0.01).max(8760).default(168),
  /** A new key is on the keys topic this long before it signs, so every verifier has it first. */
  IDENTITY_KEY_ACTIVATION_DELAY_MS: z.coerce.number().int().min(0).max(3_600_000).default(5000),
  /** How often every instance rereads the key table (another instance may have rotated). */
  IDENTITY_KEY_RELOAD_MS: z.coerce.number().int().min(100).max(3_600_000).default(30_000),
  /** Keys that sign the provider's cookies, newest first (older ones still verify). */
  IDENTITY_COOKIE_KEYS: list(DEV_COOKIE_KEYS).pipe(z.array(z.string().min(16)).min(1)),
  /**
   * Redirect URIs of the `meridian-console` client: the web console (`/console/`) and Swagger UI's
   * OAuth2 redirect on the gateway. Their origins may call the token endpoint from the browser (CORS).
   */
  IDENTITY_CONSOLE_REDIRECT_URIS: list(CONSOLE_REDIRECTS).pipe(z.array(z.url()).min(1)),
};

const OidcEnv = z.object(oidcEnv);
export type OidcEnv = z.infer<typeof OidcEnv>;

/** Tolerance for clocks between identity and the verifiers when a retired key expires. */
const CLOCK_SKEW_S = 60;

export interface OidcSettings {
  readonly host: string;
  readonly port: number;
  readonly issuer: string;
  readonly accessTokenTtlS: number;
  readonly refreshTokenTtlS: number;
  readonly rotationMs: number;
  readonly activationDelayMs: number;
  readonly reloadMs: number;
  /**
   * How long a retired key keeps verifying: its last tokens' lifetime, plus one reload interval
   * (another instance may sign with it until it rereads the table), plus clock skew.
   */
  readonly retiredKeyLifetimeMs: number;
  readonly cookieKeys: readonly string[];
  readonly consoleRedirectUris: readonly string[];
  /** SECRETS_KEY: seals the private signing keys at rest. */
  readonly secretsKey: Buffer;
}

/** What the module reads from identity's validated config: the fragment above plus base settings. */
export type OidcConfig = Partial<OidcEnv> & Pick<BaseConfig, 'HOST' | 'SECRETS_KEY' | 'NODE_ENV'>;

/** From identity's validated config (missing OIDC settings take their defaults). */
export function oidcSettingsOf(config: OidcConfig): OidcSettings {
  const c = OidcEnv.parse(config);
  if (config.NODE_ENV === 'production' && c.IDENTITY_COOKIE_KEYS.join(',') === DEV_COOKIE_KEYS) {
    throw new ConfigError(
      'invalid configuration:\n  IDENTITY_COOKIE_KEYS: the development keys must not be used in production',
    );
  }
  return {
    host: config.HOST,
    port: c.IDENTITY_OIDC_PORT,
    issuer: c.OIDC_ISSUER,
    accessTokenTtlS: c.IDENTITY_ACCESS_TOKEN_TTL_S,
    refreshTokenTtlS: c.IDENTITY_REFRESH_TOKEN_TTL_S,
    rotationMs: Math.round(c.IDENTITY_KEY_ROTATION_HOURS * 3_600_000),
    activationDelayMs: c.IDENTITY_KEY_ACTIVATION_DELAY_MS,
    reloadMs: c.IDENTITY_KEY_RELOAD_MS,
    retiredKeyLifetimeMs: (c.IDENTITY_ACCESS_TOKEN_TTL_S + CLOCK_SKEW_S) * 1000 + c.IDENTITY_KEY_RELOAD_MS,
    cookieKeys: c.IDENTITY_COOKIE_KEYS,
    consoleRedirectUris: c.IDENTITY_CONSOLE_REDIRECT_URIS,
    secretsKey: secretsKeyOf(config),
  };
}
