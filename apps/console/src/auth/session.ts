/**
 * Sign-in for the console: OpenID Connect authorization code + PKCE (S256) against Meridian's
 * issuer, with oauth4webapi. The access token lives in memory only; the refresh token (rotated on
 * every use) in sessionStorage, so a reload of the tab stays signed in and closing it signs out.
 * No token ever goes into a URL: the code arrives in the query and is removed from the address bar
 * at once; API calls and the live stream send `Authorization` headers.
 */
import * as oauth from 'oauth4webapi';
import type { ConsoleConfig } from '../config';

/** What the console shows of the signed-in user (from the ID token). */
export interface User {
  readonly subject: string;
  readonly tenant: string;
  readonly username: string;
  readonly name: string;
}

interface PendingLogin {
  readonly verifier: string;
  readonly state: string;
  readonly nonce: string;
}

const PENDING_KEY = 'meridian.console.login';
const REFRESH_KEY = 'meridian.console.refresh';
const ID_TOKEN_KEY = 'meridian.console.id-token';
const USER_KEY = 'meridian.console.user';
/** Refresh this long before the access token expires. */
const REFRESH_MARGIN_MS = 30_000;
const SCOPE = 'openid profile api offline_access';

export class SessionError extends Error {}

export class Session {
  private accessToken: string | null = null;
  private expiresAt = 0;
  private refreshing: Promise<void> | null = null;
  private timer: ReturnType<typeof setTimeout> | undefined;
  private readonly listeners = new Set<(user: User | null) => void>();
  user: User | null = null;

  private constructor(
    private readonly as: oauth.AuthorizationServer,
    private readonly client: oauth.Client,
    private readonly redirectUri: string,
    private readonly options: { [oauth.allowInsecureRequests]?: boolean },
  ) {}

  /** Discovers the issuer, then completes a login that just came back, or resumes the tab's session. */
  static async start(config: ConsoleConfig): Promise<Session> {
    const issuer = new URL(config.issuer);
    // A loopback issuer (development, tests) speaks plain HTTP; anything else must be HTTPS.
    const options = { [oauth.allowInsecureRequests]: issuer.protocol === 'http:' && isLoopback(issuer) };
    const response = await oauth.discoveryRequest(issuer, options).catch((err: unknown) => {
      throw new SessionError(`The sign-in service at ${issuer.origin} cannot be reached (${String(err)}).`);
    });
    const as = await oauth.processDiscoveryResponse(issuer, response);
    const redirectUri = new URL('./', window.location.href).href.split('?')[0] ?? window.location.href;
    const session = new Session(as, { client_id: config.clientId }, redirectUri, options);
    const params = new URL(window.location.href).searchParams;
    if (params.has('code') || params.has('error')) await session.completeLogin();
    else await session.resume();
    return session;
  }

  onChange(listener: (user: User | null) => void): () => void {
    this.listeners.add(listener);
    return () => this.listeners.delete(listener);
  }

  /** Sends the browser to the issuer's login page. */
  async signIn(): Promise<void> {
    const endpoint = this.as.authorization_endpoint;
    if (!endpoint) throw new SessionError('The issuer has no authorization endpoint.');
    const pending: PendingLogin = {
      verifier: oauth.generateRandomCodeVerifier(),
      state: oauth.generateRandomState(),
      nonce: oauth.generateRandomNonce(),
    };
    sessionStorage.setItem(PENDING_KEY, JSON.stringify(pending));
    const url = new URL(endpoint);
    url.searchParams.set('client_id', this.client.client_id);
    url.searchParams.set('redirect_uri', this.redirectUri);
    url.searchParams.set('response_type', 'code');
    url.searchParams.set('scope', SCOPE);
    url.searchParams.set('code_challenge', await oauth.calculatePKCECodeChallenge(pending.verifier));
    url.searchParams.set('code_challenge_method', 'S256');
    url.searchParams.set('state', pending.state);
    url.searchParams.set('nonce', pending.nonce);
    window.location.assign(url.href);
  }

  /**
   * Revokes the refresh token, forgets every token, then ends the issuer's session (its sign-out
   * page returns to the console).
   */
  async signOut(): Promise<void> {
    const refresh = sessionStorage.getItem(REFRESH_KEY);
    const idToken = sessionStorage.getItem(ID_TOKEN_KEY);
    if (refresh && this.as.revocation_endpoint) {
      await oauth
        .revocationRequest(this.as, this.client, oauth.None(), refresh, this.options)
        .then((r) => oauth.processRevocationResponse(r))
        .catch(() => undefined); // signing out goes on: the token expires anyway
    }
    this.forget();
    const endpoint = this.as.end_session_endpoint;
    if (!endpoint) return;
    const url = new URL(endpoint);
    url.searchParams.set('client_id', this.client.client_id);
    url.searchParams.set('post_logout_redirect_uri', this.redirectUri);
    if (idToken) url.searchParams.set('id_token_hint', idToken);
    window.location.assign(url.href);
  }

  /** A current access token, refreshed first when it expires within half a minute. */
  async token(): Promise<string> {
    if (this.accessToken && Date.now() < this.expiresAt - REFRESH_MARGIN_MS) return this.accessToken;
    await this.refresh();
    if (!this.accessToken) throw new SessionError('Your session has ended: sign in again.');
    return this.accessToken;
  }

  /** The access token as it is now, for synchronous callers (map tile requests); kept fresh by a timer. */
  currentToken(): string | null {
    return this.accessToken;
  }

  /** One refresh at a time: concurrent callers wait for the same one. */
  refresh(): Promise<void> {
    this.refreshing ??= this.refreshOnce().finally(() => {
      this.refreshing = null;
    });
    return this.refreshing;
  }

  private async refreshOnce(): Promise<void> {
    const refresh = sessionStorage.getItem(REFRESH_KEY);
    if (!refresh) {
      this.forget();
      return;
    }
    try {
      const response = await oauth.refreshTokenGrantRequest(this.as, this.client, oauth.None(), refresh, this.options);
      this.accept(await oauth.processRefreshTokenResponse(this.as, this.client, response));
    } catch (err) {
      // A refused refresh token (revoked, expired, reused) ends the session; a network error does not.
      if (err instanceof oauth.ResponseBodyError) this.forget();
      else throw new SessionError(`The sign-in service cannot be reached: ${String(err)}`);
    }
  }

  private async resume(): Promise<void> {
    if (!sessionStorage.getItem(REFRESH_KEY)) return;
    const stored = sessionStorage.getItem(USER_KEY);
    this.user = stored ? (JSON.parse(stored) as User) : null;
    await this.refresh().catch(() => this.forget());
  }

  private async completeLogin(): Promise<void> {
    const current = new URL(window.location.href);
    // The code and state leave the address bar (and history) before anything else happens.
    window.history.replaceState(null, '', this.redirectUri + current.hash);
    const pendingText = sessionStorage.getItem(PENDING_KEY);
    sessionStorage.removeItem(PENDING_KEY);
    if (!pendingText) throw new SessionError('This sign-in was not started here (or was already used): sign in again.');
    const pending = JSON.parse(pendingText) as PendingLogin;
    try {
      const params = oauth.validateAuthResponse(this.as, this.client, current.searchParams, pending.state);
      const response = await oauth.authorizationCodeGrantRequest(
        this.as,
        this.client,
        oauth.None(),
        params,
        this.redirectUri,
        pending.verifier,
        this.options,
      );
      const result = await oauth.processAuthorizationCodeResponse(this.as, this.client, response, {
        expectedNonce: pending.nonce,
        requireIdToken: true,
      });
      const claims = oauth.getValidatedIdTokenClaims(result);
      if (claims) {
        this.user = userOf(claims);
        sessionStorage.setItem(USER_KEY, JSON.stringify(this.user));
      }
      if (result.id_token) sessionStorage.setItem(ID_TOKEN_KEY, result.id_token);
      this.accept(result);
    } catch (err) {
      throw new SessionError(`Sign-in failed: ${describe(err)}`);
    }
  }

  private accept(result: oauth.TokenEndpointResponse): void {
    this.accessToken = result.access_token;
    this.expiresAt = Date.now() + (result.expires_in ?? 300) * 1000;
    if (result.refresh_token) sessionStorage.setItem(REFRESH_KEY, result.refresh_token);
    clearTimeout(this.timer);
    const due = Math.max(1000, this.expiresAt - Date.now() - REFRESH_MARGIN_MS);
    this.timer = setTimeout(() => void this.refresh().catch(() => undefined), due);
    this.emit();
  }

  private forget(): void {
    clearTimeout(this.timer);
    this.accessToken = null;
    this.expiresAt = 0;
    this.user = null;
    for (const key of [REFRESH_KEY, ID_TOKEN_KEY, USER_KEY]) sessionStorage.removeItem(key);
    this.emit();
  }

  private emit(): void {
    const user = this.accessToken ? this.user : null;
    for (const listener of this.listeners) listener(user);
  }
}

function userOf(claims: oauth.IDToken): User {
  const text = (value: unknown): string | undefined => (typeof value === 'string' && value ? value : undefined);
  const username = text(claims['preferred_username']) ?? claims.sub;
  return {
    subject: claims.sub,
    tenant: text(claims['tenant']) ?? '',
    username,
    name: text(claims['name']) ?? username,
  };
}

function describe(err: unknown): string {
  if (err instanceof oauth.AuthorizationResponseError) {
    return err.error_description ?? err.error;
  }
  if (err instanceof oauth.ResponseBodyError) return err.error_description ?? err.error;
  return err instanceof Error ? err.message : String(err);
}

const isLoopback = (url: URL): boolean => ['127.0.0.1', 'localhost', '[::1]'].includes(url.hostname);
