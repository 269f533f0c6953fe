import type { JWK as JoseJwk } from 'jose';
import Provider, {
  type Adapter,
  type Configuration,
  errors,
  type JWK,
  type KoaContextWithOIDC,
  type ResourceServer,
} from 'oidc-provider';
import type { Pool } from 'pg';
import { API_AUDIENCE, TokenClaims } from '@meridian/contracts/identity';
import type { IdentityDirectory } from '@meridian/identity/domain';
import type { Log } from '@meridian/shared/util';
import type { OidcSettings } from '../oidc.config';
import { findAccountIn, parseAccountId } from './accounts';
import { API_SCOPE, CONSOLE_CLIENT_ID, consoleClient, consoleOrigins, DirectoryClientAdapter } from './clients';
import { errorPage, logoutPage, signedOutPage } from './error-page';
import { PgOidcAdapter } from './pg-adapter';

/** A private ES256 signing key as a JWK (with `d`), as identity keeps it. */
export type PrivateSigningJwk = JoseJwk & { readonly kid: string };

export interface ProviderKeys {
  /** The newest active key: it signs every token this provider issues. */
  readonly signer: PrivateSigningJwk;
  /** Also published at `/jwks`: the next key (not signing yet) and retired keys until they expire. */
  readonly others: readonly PrivateSigningJwk[];
}

export interface ProviderDeps {
  readonly settings: OidcSettings;
  readonly pool: Pool;
  readonly directory: IdentityDirectory;
  readonly log: Log;
}

/**
 * One oidc-provider instance for one set of keys. Its JWKS is fixed at construction, so a key
 * rotation builds a new one; every instance shares the Postgres adapter, so sessions, grants and
 * refresh tokens survive the swap.
 */
export function buildProvider(deps: ProviderDeps, keys: ProviderKeys): Provider {
  const { settings, pool, directory, log } = deps;
  const clients = new DirectoryClientAdapter(directory);
  const adapter = (model: string): Adapter => (model === 'Client' ? clients : new PgOidcAdapter(pool, model));
  const ttl = settings.accessTokenTtlS;
  const browserOrigins = consoleOrigins(settings.consoleRedirectUris);

  const resourceServer = (): ResourceServer => ({
    scope: API_SCOPE,
    audience: API_AUDIENCE,
    accessTokenFormat: 'jwt',
    accessTokenTTL: ttl,
    jwt: { sign: { alg: 'ES256', kid: keys.signer.kid } },
  });

  const configuration: Configuration = {
    adapter,
    clients: [consoleClient(settings.consoleRedirectUris)],
    // Without an RSA key every client must be told to sign ID tokens with ES256.
    clientDefaults: { id_token_signed_response_alg: 'ES256' },
    // The console (a single-page app on the gateway's origin) calls the token and revocation
    // endpoints from the browser; no other client and no other origin gets CORS.
    clientBasedCORS: (_ctx, origin, client) => client.clientId === CONSOLE_CLIENT_ID && browserOrigins.has(origin),
    enabledJWA: { idTokenSigningAlgValues: ['ES256'] },
    // The signer first: ID tokens are signed with the first ES256 key of the set.
    jwks: { keys: [keys.signer, ...keys.others] as JWK[] },
    cookies: { keys: [...settings.cookieKeys] },
    responseTypes: ['code'],
    scopes: ['openid', 'offline_access', 'profile', 'email'],
    claims: {
      openid: ['sub', TokenClaims.tenant],
      profile: ['name', 'preferred_username'],
      email: ['email'],
    },
    extraClientMetadata: { properties: [TokenClaims.tenant] },
    findAccount: findAccountIn(directory),
    features: {
      devInteractions: { enabled: false },
      clientCredentials: { enabled: true },
      revocation: { enabled: true },
      rpInitiatedLogout: {
        enabled: true,
        logoutSource: (ctx, form) => {
          ctx.type = 'html';
          ctx.body = logoutPage(form);
        },
        postLogoutSuccessSource: (ctx) => {
          ctx.type = 'html';
          ctx.body = signedOutPage();
        },
      },
      resourceIndicators: {
        enabled: true,
        defaultResource: () => API_AUDIENCE,
        useGrantedResource: () => true,
        getResourceServerInfo: (_ctx, indicator) => {
          if (indicator !== API_AUDIENCE) throw new errors.InvalidTarget(`unknown resource ${indicator}`);
          return resourceServer();
        },
      },
    },
    extraTokenClaims: (ctx, token) => ({ [TokenClaims.tenant]: tenantOf(ctx, token) }),
    formats: {
      customizers: {
        // The account id is `<tenant>/<user>`; the access token's subject is the bare user id.
        jwt: (_ctx, token, jwt) => {
          const account = 'accountId' in token ? parseAccountId(token.accountId) : null;
          if (account) jwt.payload['sub'] = account.subject;
        },
      },
    },
    // The console gets a refresh token with every code, rotated on each use.
    issueRefreshToken: (_ctx, client) => client.grantTypeAllowed('refresh_token'),
    rotateRefreshToken: true,
    pkce: { required: (_ctx, client) => client.clientAuthMethod === 'none' },
    ttl: {
      AccessToken: ttl,
      ClientCredentials: ttl,
      AuthorizationCode: 60,
      IdToken: ttl,
      Interaction: 600,
      RefreshToken: settings.refreshTokenTtlS,
      Grant: settings.refreshTokenTtlS,
      Session: settings.refreshTokenTtlS,
    },
    interactions: { url: (_ctx, interaction) => `/interaction/${interaction.uid}` },
    renderError: (ctx, out) => {
      ctx.type = 'html';
      ctx.body = errorPage(out.error ?? 'error', out.error_description ?? '');
    },
  };

  const provider = new Provider(settings.issuer, configuration);
  provider.on('server_error', (_ctx: KoaContextWithOIDC, err: Error) =>
    log.error({ err: err.message, stack: err.stack }, 'oidc provider error'),
  );
  return provider;
}

/** A user's tenant from its account id; a service account's from its client metadata. */
function tenantOf(ctx: KoaContextWithOIDC, token: { accountId?: string; client?: { metadata(): object } }): string {
  const account = token.accountId ? parseAccountId(token.accountId) : null;
  if (account) return account.tenantId;
  const metadata = (ctx.oidc.entities.Client ?? token.client)?.metadata() as Record<string, unknown> | undefined;
  const tenant = metadata?.[TokenClaims.tenant];
  if (typeof tenant !== 'string') throw new Error('token without a tenant: neither a user nor a service account');
  return tenant;
}
