import { afterAll, beforeAll, describe, expect, it } from '@jest/globals';
import { createLocalJWKSet, decodeJwt, decodeProtectedHeader, type JWTPayload, jwtVerify } from 'jose';
import * as client from 'openid-client';
import { API_AUDIENCE } from '@meridian/contracts/identity';
import { CookieJar, firstForm, formLogin } from '@meridian/shared/testing';
import { OidcHttpServer } from './http/oidc-http-server';
import { CONSOLE_CLIENT_ID } from './provider/clients';
import { type OidcHarness, startOidc } from './testing/oidc-harness';

/**
 * The provider as clients meet it: discovery, client credentials for a service account, the
 * console's authorization code + PKCE login through the HTML form (driven by openid-client 6) and
 * its refresh tokens. Every access token is verified with jose against the keys identity published
 * on `meridian.identity.keys`, as the gateway verifies them, never against the provider itself.
 */
describe('identity OIDC provider (oidc-provider 9 on Express, Postgres adapter, keys on Kafka)', () => {
  let h: OidcHarness;

  beforeAll(async () => {
    h = await startOidc();
  });

  afterAll(async () => {
    await h?.close();
  });

  /** Verifies an access token the way the gateway does: with the key the topic carries for its kid. */
  async function verifyWithTopicKeys(token: string): Promise<JWTPayload> {
    const { kid } = decodeProtectedHeader(token);
    const published = await h.keys.waitFor(String(kid));
    const jwks = createLocalJWKSet({ keys: [published.jwk] });
    const { payload, protectedHeader } = await jwtVerify(token, jwks, {
      issuer: h.issuer,
      audience: API_AUDIENCE,
      typ: 'at+jwt',
      algorithms: ['ES256'],
    });
    expect(protectedHeader).toEqual({ alg: 'ES256', typ: 'at+jwt', kid });
    return payload;
  }

  const basic = (id: string, secret: string): string =>
    `Basic ${Buffer.from(`${encodeURIComponent(id)}:${encodeURIComponent(secret)}`).toString('base64')}`;

  async function clientCredentials(auth: 'basic' | 'post', secret = h.service.secret): Promise<Response> {
    const params = new URLSearchParams({ grant_type: 'client_credentials', scope: 'api' });
    const headers: Record<string, string> = { 'content-type': 'application/x-www-form-urlencoded' };
    if (auth === 'basic') {
      headers['authorization'] = basic(h.service.clientId, secret);
    } else {
      params.set('client_id', h.service.clientId);
      params.set('client_secret', secret);
    }
    return fetch(`${h.issuer}/token`, { method: 'POST', headers, body: params });
  }

  it('publishes a discovery document for the issuer: code + PKCE S256, client credentials, ES256 only', async () => {
    const res = await fetch(`${h.issuer}/.well-known/openid-configuration`);
    expect(res.status).toBe(200);
    const doc = (await res.json()) as Record<string, unknown>;
    expect(doc).toMatchObject({
      issuer: h.issuer,
      authorization_endpoint: `${h.issuer}/auth`,
      token_endpoint: `${h.issuer}/token`,
      jwks_uri: `${h.issuer}/jwks`,
      response_types_supported: ['code'],
      code_challenge_methods_supported: ['S256'],
      id_token_signing_alg_values_supported: ['ES256'],
    });
    expect(doc['grant_types_supported']).toEqual(
      expect.arrayContaining(['authorization_code', 'refresh_token', 'client_credentials']),
    );
    // The provider's own JWKS carries public keys only, the signing key first.
    const jwks = (await (await fetch(`${h.issuer}/jwks`)).json()) as { keys: Record<string, unknown>[] };
    expect(jwks.keys.length).toBeGreaterThanOrEqual(1);
    for (const key of jwks.keys) expect(key).not.toHaveProperty('d');
    expect(h.app.get(OidcHttpServer).readiness()).toEqual({ oidc: 'up' });
  });

  it('serves only the protocol and the interaction pages: anything else is a 404', async () => {
    expect((await fetch(`${h.issuer}/health/ready`)).status).toBe(404);
    expect((await fetch(`${h.issuer}/v1/assets`)).status).toBe(404);
  });

  it('issues a service account an ES256 JWT (client_secret_basic), verified with the topic keys', async () => {
    const res = await clientCredentials('basic');
    expect(res.status).toBe(200);
    const body = (await res.json()) as { access_token: string; token_type: string; expires_in: number };
    expect(body).toMatchObject({ token_type: 'Bearer', expires_in: 300, scope: 'api' });
    const claims = await verifyWithTopicKeys(body.access_token);
    expect(claims).toMatchObject({
      iss: h.issuer,
      sub: h.service.clientId,
      aud: API_AUDIENCE,
      client_id: h.service.clientId,
      scope: 'api',
      tenant: h.tenant,
    });
    expect(typeof claims.jti).toBe('string');
    expect((claims.exp ?? 0) - (claims.iat ?? 0)).toBe(300);
  });

  it('accepts client_secret_post as well', async () => {
    const res = await clientCredentials('post');
    expect(res.status).toBe(200);
    const { access_token } = (await res.json()) as { access_token: string };
    expect(await verifyWithTopicKeys(access_token)).toMatchObject({ sub: h.service.clientId, tenant: h.tenant });
  });

  it('refuses a wrong secret and an unknown client with 401 invalid_client', async () => {
    const wrong = await clientCredentials('basic', `${h.service.secret}x`);
    expect(wrong.status).toBe(401);
    expect(await wrong.json()).toMatchObject({ error: 'invalid_client' });

    const unknown = await fetch(`${h.issuer}/token`, {
      method: 'POST',
      headers: { 'content-type': 'application/x-www-form-urlencoded', authorization: basic('nobody', 'nothing') },
      body: new URLSearchParams({ grant_type: 'client_credentials' }),
    });
    expect(unknown.status).toBe(401);
    expect(await unknown.json()).toMatchObject({ error: 'invalid_client' });
  });

  describe('the console: authorization code + PKCE through the login page', () => {
    let config: client.Configuration;

    beforeAll(async () => {
      config = await client.discovery(new URL(h.issuer), CONSOLE_CLIENT_ID, undefined, client.None(), {
        execute: [client.allowInsecureRequests],
      });
    });

    async function authorizationRequest(): Promise<{ url: URL; verifier: string; state: string }> {
      const verifier = client.randomPKCECodeVerifier();
      const state = client.randomState();
      const url = client.buildAuthorizationUrl(config, {
        redirect_uri: h.redirectUri,
        scope: 'openid profile api',
        code_challenge: await client.calculatePKCECodeChallenge(verifier),
        code_challenge_method: 'S256',
        state,
      });
      return { url, verifier, state };
    }

    it('logs a user in, then refreshes: JWT access tokens with the bare user id and the tenant', async () => {
      const { url, verifier, state } = await authorizationRequest();
      const callback = await formLogin(url, {
        tenant: h.tenant,
        username: h.user.username,
        password: h.user.password,
      });
      expect(`${callback.origin}${callback.pathname}`).toBe(h.redirectUri);
      expect(callback.searchParams.get('code')).toBeTruthy();

      const tokens = await client.authorizationCodeGrant(config, callback, {
        pkceCodeVerifier: verifier,
        expectedState: state,
      });
      const access = await verifyWithTopicKeys(tokens.access_token);
      expect(access).toMatchObject({
        iss: h.issuer,
        sub: h.user.subject,
        aud: API_AUDIENCE,
        client_id: CONSOLE_CLIENT_ID,
        scope: 'api',
        tenant: h.tenant,
      });
      expect(tokens.refresh_token).toBeTruthy();
      // The ID token (for the console alone) names the account within the issuer: tenant and user.
      expect(tokens.claims()).toMatchObject({
        sub: `${h.tenant}/${h.user.subject}`,
        tenant: h.tenant,
        name: h.user.displayName,
      });

      const refreshed = await client.refreshTokenGrant(config, tokens.refresh_token as string);
      const again = await verifyWithTopicKeys(refreshed.access_token);
      expect(again).toMatchObject({ sub: h.user.subject, tenant: h.tenant, scope: 'api', aud: API_AUDIENCE });
      expect(again.jti).not.toBe(access.jti);
      // Rotated on use: the new refresh token differs and the old one is spent.
      expect(refreshed.refresh_token).toBeTruthy();
      expect(refreshed.refresh_token).not.toBe(tokens.refresh_token);
      await expect(client.refreshTokenGrant(config, tokens.refresh_token as string)).rejects.toMatchObject({
        error: 'invalid_grant',
      });
    });

    it('refuses an authorization request without PKCE', async () => {
      const url = new URL(`${h.issuer}/auth`);
      url.search = new URLSearchParams({
        client_id: CONSOLE_CLIENT_ID,
        response_type: 'code',
        redirect_uri: h.redirectUri,
        scope: 'openid api',
        state: 'no-pkce',
      }).toString();
      const res = await fetch(url, { redirect: 'manual' });
      const location = new URL(res.headers.get('location') ?? '', h.issuer);
      expect(`${location.origin}${location.pathname}`).toBe(h.redirectUri);
      expect(location.searchParams.get('error')).toBe('invalid_request');
      expect(location.searchParams.get('error_description')).toMatch(/PKCE/);
    });

    it('answers a wrong password with the form again (401, generic error, escaped input), then logs in', async () => {
      const server = h.app.get(OidcHttpServer);
      const failedBefore = server.counters.failed;
      const { url: authUrl } = await authorizationRequest();
      const jar = new CookieJar();
      const get = async (url: URL): Promise<Response> => {
        const cookie = jar.header(url);
        const res = await fetch(url, { redirect: 'manual', headers: cookie ? { cookie } : {} });
        jar.store(url, res);
        return res;
      };
      const post = async (url: URL, fields: Record<string, string>): Promise<Response> => {
        const cookie = jar.header(url);
        const res = await fetch(url, {
          method: 'POST',
          redirect: 'manual',
          headers: { 'content-type': 'application/x-www-form-urlencoded', ...(cookie ? { cookie } : {}) },
          body: new URLSearchParams(fields),
        });
        jar.store(url, res);
        return res;
      };

      const toInteraction = await get(authUrl);
      expect(toInteraction.status).toBe(303);
      const interaction = new URL(toInteraction.headers.get('location') ?? '', h.issuer);
      expect(interaction.pathname).toMatch(/^\/interaction\/[\w-]+$/);
      const loginPage = await get(interaction);
      expect(loginPage.status).toBe(200);
      expect(loginPage.headers.get('content-security-policy')).toContain("default-src 'none'");
      const form = firstForm(await loginPage.text(), interaction);
      expect(form?.method).toBe('POST');

      const wrong = await post(form!.action, {
        tenant: h.tenant,
        username: '<script>alert(1)</script>',
        password: 'wrong',
      });
      expect(wrong.status).toBe(401);
      const html = await wrong.text();
      expect(html).toContain('Wrong tenant, username or password.');
      expect(html).not.toContain('<script>');
      expect(html).toContain('&lt;script&gt;alert(1)&lt;/script&gt;');
      expect(firstForm(html, interaction)?.inputs).toMatchObject({ tenant: h.tenant });
      expect(server.counters.failed).toBe(failedBefore + 1);

      const right = await post(form!.action, {
        tenant: h.tenant,
        username: h.user.username,
        password: h.user.password,
      });
      expect(right.status).toBe(303);
      let next = new URL(right.headers.get('location') ?? '', h.issuer);
      for (let hops = 0; next.origin === h.issuer && hops < 10; hops++) {
        const res = await get(next);
        expect(res.status).toBe(303);
        next = new URL(res.headers.get('location') ?? '', next);
      }
      expect(`${next.origin}${next.pathname}`).toBe(h.redirectUri);
      expect(next.searchParams.get('code')).toBeTruthy();
    });

    it('puts the tenant claim in access tokens issued to the console for a user of another tenant too', async () => {
      const other = { ...h.user, tenantId: `${h.tenant}-b`, subject: `${h.user.subject}-b`, password: 'other pass' };
      h.directory.users.push(other);
      const { url, verifier, state } = await authorizationRequest();
      const callback = await formLogin(url, {
        tenant: other.tenantId,
        username: other.username,
        password: 'other pass',
      });
      const tokens = await client.authorizationCodeGrant(config, callback, {
        pkceCodeVerifier: verifier,
        expectedState: state,
      });
      expect(decodeJwt(tokens.access_token)).toMatchObject({ sub: other.subject, tenant: other.tenantId });
    });
  });
});
