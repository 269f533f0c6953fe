/**
 * Access tokens the way a service client gets them: OAuth 2.0 client credentials at the issuer's
 * token endpoint (found through discovery), for the API's resource indicator. Tests, the benchmark,
 * the demo-data loader and the OGC tools all authenticate through this, as any client would.
 */

export interface ClientCredentials {
  readonly issuer: string;
  readonly clientId: string;
  readonly clientSecret: string;
}

const API_RESOURCE = 'urn:meridian:api';
/** Tokens are renewed this long before they expire, so a request never carries one that expires in flight. */
const RENEW_BEFORE_MS = 30_000;

const endpoints = new Map<string, Promise<string>>();

async function tokenEndpoint(issuer: string): Promise<string> {
  let endpoint = endpoints.get(issuer);
  if (!endpoint) {
    endpoint = fetch(`${issuer.replace(/\/$/, '')}/.well-known/openid-configuration`).then(async (res) => {
      if (!res.ok) throw new Error(`discovery at ${issuer} answered ${res.status}`);
      return ((await res.json()) as { token_endpoint: string }).token_endpoint;
    });
    endpoints.set(issuer, endpoint);
    endpoint.catch(() => endpoints.delete(issuer));
  }
  return endpoint;
}

export interface IssuedToken {
  readonly accessToken: string;
  readonly expiresAt: number;
}

/** One client-credentials grant; throws with the issuer's error when it refuses. */
export async function clientCredentialsToken(client: ClientCredentials, scope = 'api'): Promise<IssuedToken> {
  const res = await fetch(await tokenEndpoint(client.issuer), {
    method: 'POST',
    headers: {
      'content-type': 'application/x-www-form-urlencoded',
      authorization: `Basic ${Buffer.from(
        `${encodeURIComponent(client.clientId)}:${encodeURIComponent(client.clientSecret)}`,
      ).toString('base64')}`,
    },
    body: new URLSearchParams({ grant_type: 'client_credentials', scope, resource: API_RESOURCE }),
  });
  const body = (await res.json()) as { access_token?: string; expires_in?: number; error?: string };
  if (!res.ok || !body.access_token) {
    throw new Error(`token for ${client.clientId} refused: ${res.status} ${body.error ?? ''}`);
  }
  return { accessToken: body.access_token, expiresAt: Date.now() + (body.expires_in ?? 60) * 1000 };
}

/** A client's current token, fetched on first use and renewed shortly before it expires. */
export class TokenSource {
  private current: Promise<IssuedToken> | null = null;

  constructor(private readonly client: ClientCredentials) {}

  async token(): Promise<string> {
    const held = this.current ? await this.current.catch(() => null) : null;
    if (!held || held.expiresAt - RENEW_BEFORE_MS <= Date.now()) {
      this.current = clientCredentialsToken(this.client);
    }
    return (await (this.current as Promise<IssuedToken>)).accessToken;
  }

  /** `{ authorization: 'Bearer …' }` for a request. */
  async headers(): Promise<Record<string, string>> {
    return { authorization: `Bearer ${await this.token()}` };
  }
}
