import { createHash, createPublicKey, randomBytes, verify, type JsonWebKey } from 'node:crypto';
import { beforeAll, describe, expect, it } from '@jest/globals';
// Relative until libs/shared/testing/src/index.ts exports it.
import { ensureKeycloak, keycloakFormLogin, type KeycloakClient } from '@meridian/shared/testing';

/*
 * The local Keycloak that plays an organisation's IdP (infra/scripts/keycloak.sh, realm
 * infra/keycloak/realm-meridian-ext.json): discovery, a password grant whose token carries what
 * Meridian's federation reads (aud, groups), and a browserless authorization-code + PKCE login
 * through the HTML form. Keycloak is left running for the files that come after.
 */

interface Discovery {
  issuer: string;
  authorization_endpoint: string;
  token_endpoint: string;
  jwks_uri: string;
}
interface Tokens {
  access_token: string;
  id_token?: string;
  error?: string;
}
interface Claims {
  iss: string;
  aud: string | string[];
  azp: string;
  preferred_username: string;
  email?: string;
  groups?: string[];
}

const REDIRECT_URI = 'http://127.0.0.1:3999/callback';
let kc: KeycloakClient;
let discovery: Discovery;

const base64url = (buf: Buffer): string => buf.toString('base64url');
const claims = (jwt: string): Claims => JSON.parse(Buffer.from(jwt.split('.')[1], 'base64url').toString()) as Claims;
const audiences = (c: Claims): string[] => (Array.isArray(c.aud) ? c.aud : [c.aud]);

async function tokenRequest(params: Record<string, string>): Promise<{ status: number; body: Tokens }> {
  const res = await fetch(discovery.token_endpoint, {
    method: 'POST',
    headers: { 'content-type': 'application/x-www-form-urlencoded' },
    body: new URLSearchParams({ client_id: kc.clientId, client_secret: kc.clientSecret, ...params }).toString(),
  });
  return { status: res.status, body: (await res.json()) as Tokens };
}

function authorizationUrl(extra: Record<string, string>): string {
  const url = new URL(discovery.authorization_endpoint);
  const params = { client_id: kc.clientId, response_type: 'code', redirect_uri: REDIRECT_URI, scope: 'openid' };
  for (const [k, v] of Object.entries({ ...params, ...extra })) url.searchParams.set(k, v);
  return url.toString();
}

function pkce(): { verifier: string; challenge: string } {
  const verifier = base64url(randomBytes(32));
  return { verifier, challenge: base64url(createHash('sha256').update(verifier).digest()) };
}

beforeAll(async () => {
  kc = await ensureKeycloak();
  const res = await fetch(`${kc.issuer}/.well-known/openid-configuration`);
  expect(res.status).toBe(200);
  discovery = (await res.json()) as Discovery;
}, 300_000);

describe('local Keycloak (realm meridian-ext)', () => {
  it('publishes its discovery document under the issuer the script announces', () => {
    const port = process.env['MERIDIAN_KEYCLOAK_PORT'] || '18480';
    expect(kc.issuer).toBe(`http://127.0.0.1:${port}/realms/meridian-ext`);
    expect(discovery.issuer).toBe(kc.issuer);
    expect(discovery.token_endpoint).toBe(`${kc.issuer}/protocol/openid-connect/token`);
  });

  it('gives alice a signed access token for meridian carrying her groups (password grant)', async () => {
    const { status, body } = await tokenRequest({ grant_type: 'password', username: 'alice', password: 'alice-pass' });
    expect(status).toBe(200);
    const access = claims(body.access_token);
    expect(access.iss).toBe(kc.issuer);
    expect(audiences(access)).toContain('meridian');
    expect(access.groups).toEqual(expect.arrayContaining(['dispatchers', 'field-ops']));
    expect(access.groups).not.toContain('admins');
    expect(access.email).toBe('alice@ext.example');

    // The JWKS also holds an encryption key: verify with the signing key the token names.
    const [header, payload, signature] = body.access_token.split('.');
    const { kid, alg } = JSON.parse(Buffer.from(header, 'base64url').toString()) as { kid: string; alg: string };
    expect(alg).toBe('RS256');
    const { keys } = (await (await fetch(discovery.jwks_uri)).json()) as { keys: (JsonWebKey & { kid: string })[] };
    const jwk = keys.find((k) => k.kid === kid && k.use === 'sig');
    if (!jwk) throw new Error(`no signing key ${kid} in ${discovery.jwks_uri}`);
    const key = createPublicKey({ key: jwk, format: 'jwk' });
    expect(verify('RSA-SHA256', Buffer.from(`${header}.${payload}`), key, Buffer.from(signature, 'base64url'))).toBe(
      true,
    );
  });

  it('refuses a wrong password and a client without its secret', async () => {
    const wrong = await tokenRequest({ grant_type: 'password', username: 'alice', password: 'not-alice' });
    expect(wrong).toMatchObject({ status: 400, body: { error: 'invalid_grant' } });
    const noSecret = await tokenRequest({
      grant_type: 'password',
      username: 'alice',
      password: 'alice-pass',
      client_secret: 'wrong-secret',
    });
    expect(noSecret).toMatchObject({ status: 401, body: { error: 'unauthorized_client' } });
  });

  it('logs bob in through the HTML form (code + PKCE S256); the code exchanges for his tokens once', async () => {
    const { verifier, challenge } = pkce();
    const state = base64url(randomBytes(12));
    const url = authorizationUrl({ state, code_challenge: challenge, code_challenge_method: 'S256' });

    const redirect = await keycloakFormLogin(url, 'bob', 'bob-pass');

    expect(`${redirect.origin}${redirect.pathname}`).toBe(REDIRECT_URI);
    expect(redirect.searchParams.get('state')).toBe(state);
    expect(redirect.searchParams.get('error')).toBeNull();
    const code = redirect.searchParams.get('code');
    if (!code) throw new Error(`no code in ${redirect.toString()}`);
    const exchange = { grant_type: 'authorization_code', code, redirect_uri: REDIRECT_URI, code_verifier: verifier };

    const { status, body } = await tokenRequest(exchange);
    expect(status).toBe(200);
    expect(claims(body.access_token)).toMatchObject({ preferred_username: 'bob', azp: 'meridian', groups: ['admins'] });
    if (!body.id_token) throw new Error('no id_token for scope openid');
    const id = claims(body.id_token);
    expect(audiences(id)).toContain('meridian');
    expect(id.groups).toEqual(['admins']);

    expect(await tokenRequest(exchange)).toMatchObject({ status: 400, body: { error: 'invalid_grant' } });
  });

  it('refuses a code presented with another PKCE verifier', async () => {
    const { challenge } = pkce();
    const url = authorizationUrl({ state: 's', code_challenge: challenge, code_challenge_method: 'S256' });
    const redirect = await keycloakFormLogin(url, 'alice', 'alice-pass');
    const code = redirect.searchParams.get('code');
    if (!code) throw new Error(`no code in ${redirect.toString()}`);
    const res = await tokenRequest({
      grant_type: 'authorization_code',
      code,
      redirect_uri: REDIRECT_URI,
      code_verifier: pkce().verifier,
    });
    expect(res).toMatchObject({ status: 400, body: { error: 'invalid_grant' } });
  });

  it('stops a form login with a wrong password on the login page', async () => {
    const { challenge } = pkce();
    const url = authorizationUrl({ state: 's', code_challenge: challenge, code_challenge_method: 'S256' });
    await expect(keycloakFormLogin(url, 'carol', 'not-carol')).rejects.toThrow(/Invalid username or password/);
  });

  it('requires PKCE S256 for the code flow', async () => {
    const res = await fetch(authorizationUrl({ state: 's' }), { redirect: 'manual' });
    expect(res.status).toBe(302);
    const location = new URL(res.headers.get('location') ?? '');
    expect(`${location.origin}${location.pathname}`).toBe(REDIRECT_URI);
    expect(location.searchParams.get('error')).toBe('invalid_request');
  });
});
