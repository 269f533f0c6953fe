import type { Adapter, AdapterPayload, ClientMetadata } from 'oidc-provider';
import { API_AUDIENCE } from '@meridian/contracts/identity';
import type { IdentityDirectory, ServiceClient } from '@meridian/identity/domain';

export const CONSOLE_CLIENT_ID = 'meridian-console';
/** The scope of Meridian's API (the resource `urn:meridian:api`). */
export const API_SCOPE = 'api';
export { API_AUDIENCE };

// Clients register no `scope`: oidc-provider checks it against its OpenID scopes only, and the
// API's scope belongs to the resource server (`getResourceServerInfo`), which grants nothing else.

/**
 * The first-party console (Swagger UI, the web console): a public client, authorization code with
 * PKCE (S256, required for public clients) and rotating refresh tokens. Its consent is implied.
 */
export const consoleClient = (redirectUris: readonly string[]): ClientMetadata => ({
  client_id: CONSOLE_CLIENT_ID,
  client_name: 'Meridian console',
  token_endpoint_auth_method: 'none',
  grant_types: ['authorization_code', 'refresh_token'],
  response_types: ['code'],
  redirect_uris: [...redirectUris],
  // Signing out (end_session) may return to any page the console may be redirected to after login.
  post_logout_redirect_uris: [...redirectUris],
});

/**
 * The origins the console runs on (those of its redirect URIs): the browser calls the token and
 * revocation endpoints from there, so they answer CORS requests from these origins for this client.
 */
export const consoleOrigins = (redirectUris: readonly string[]): ReadonlySet<string> =>
  new Set(redirectUris.map((uri) => new URL(uri).origin));

/**
 * A service account as a confidential client: client credentials only. `client_secret_basic` is
 * registered; oidc-provider accepts `client_secret_post` for such a client as well. `tenant` is
 * custom metadata (extraClientMetadata) the token's `tenant` claim is read from.
 */
export const serviceClientMetadata = (client: ServiceClient): AdapterPayload => ({
  client_id: client.clientId,
  client_secret: client.secret,
  client_name: client.name,
  grant_types: ['client_credentials'],
  response_types: [],
  redirect_uris: [],
  token_endpoint_auth_method: 'client_secret_basic',
  tenant: client.tenantId,
});

/**
 * The `Client` model: service accounts from the directory on every lookup (a deleted account or a
 * new secret counts at once). Registration is off, so the writes are never called.
 */
export class DirectoryClientAdapter implements Adapter {
  constructor(private readonly directory: IdentityDirectory) {}

  async find(id: string): Promise<AdapterPayload | undefined> {
    const client = await this.directory.findServiceClient(id);
    return client ? serviceClientMetadata(client) : undefined;
  }

  async findByUid(): Promise<undefined> {
    return undefined;
  }

  async findByUserCode(): Promise<undefined> {
    return undefined;
  }

  upsert(): Promise<void> {
    return refuse();
  }

  consume(): Promise<void> {
    return refuse();
  }

  destroy(): Promise<void> {
    return refuse();
  }

  revokeByGrantId(): Promise<void> {
    return refuse();
  }
}

const refuse = (): Promise<void> =>
  Promise.reject(new Error('clients are service accounts of the identity directory: change them through identity'));
