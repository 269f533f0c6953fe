import { createServer, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import { afterAll, beforeAll, beforeEach, describe, expect, it } from '@jest/globals';
import { type CryptoKey, exportJWK, exportSPKI, generateKeyPair, type JWK, SignJWT } from 'jose';
import { API_AUDIENCE } from '@meridian/contracts/identity';
import { federatedUserId } from '@meridian/shared/util';
import { ExternalIssuers } from './external-issuers';
import type { AuthSettings, SigningKeys } from './ports';
import { TokenVerifier } from './token-verifier';

/*
 * External issuers against a real HTTP server on loopback that plays the IdP: its discovery
 * document and JWKS, whose keys, answers and liveness each test sets.
 */

interface IdpKey {
  readonly kid: string;
  readonly alg: string;
  readonly privateKey: CryptoKey;
  readonly publicKey: CryptoKey;
  readonly jwk: JWK;
}

async function idpKey(kid: string, alg: 'RS256' | 'ES256' | 'PS256' = 'RS256'): Promise<IdpKey> {
  const { privateKey, publicKey } = await generateKeyPair(alg, { extractable: true });
  return { kid, alg, privateKey, publicKey, jwk: { ...(await exportJWK(publicKey)), kid, alg, use: 'sig' } };
}

/** What the IdP serves now. */
const idp = {
  keys: [] as IdpKey[],
  jwksStatus: 200,
  hang: false,
  discoveryFetches: 0,
  jwksFetches: 0,
};

let server: Server;
let issuer: string;
const TENANT = 'acme';
const AUDIENCE = 'meridian';
const keys: Record<string, IdpKey> = {};

beforeAll(async () => {
  server = createServer((req, res) => {
    if (idp.hang) return; // never answers
    if (req.url === '/realm/.well-known/openid-configuration') {
      idp.discoveryFetches++;
      res.setHeader('content-type', 'application/json');
      res.end(JSON.stringify({ issuer, jwks_uri: `${issuer}/certs` }));
    } else if (req.url === '/realm/certs') {
      idp.jwksFetches++;
      res.statusCode = idp.jwksStatus;
      res.setHeader('content-type', 'application/json');
      res.end(JSON.stringify({ keys: idp.keys.map((k) => k.jwk) }));
    } else {
      res.statusCode = 404;
      res.end();
    }
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  issuer = `http://127.0.0.1:${(server.address() as AddressInfo).port}/realm`;
  keys.rs = await idpKey('rs-1');
  keys.es = await idpKey('es-1', 'ES256');
  keys.ps = await idpKey('ps-1', 'PS256');
  keys.rotated = await idpKey('rs-2');
  keys.unpublished = await idpKey('rs-x');
});

afterAll(async () => {
  server.closeAllConnections();
  await new Promise((resolve) => server.close(resolve));
});

beforeEach(() => {
  Object.assign(idp, { keys: [keys.rs, keys.es, keys.ps], jwksStatus: 200, hang: false });
  Object.assign(idp, { discoveryFetches: 0, jwksFetches: 0 });
});

interface TokenOptions {
  readonly key?: IdpKey;
  readonly iss?: string;
  readonly sub?: string;
  readonly aud?: string | string[];
  /** Seconds from now. */
  readonly exp?: number;
  readonly nbf?: number;
}

/** A token as Keycloak issues them: header typ JWT, aud a list, no tenant claim. */
function token(o: TokenOptions = {}): Promise<string> {
  const key = o.key ?? keys.rs;
  const now = Math.floor(Date.now() / 1000);
  const jwt = new SignJWT({ azp: 'meridian', typ: 'Bearer' })
    .setProtectedHeader({ alg: key.alg, typ: 'JWT', kid: key.kid })
    .setIssuer(o.iss ?? issuer)
    .setSubject(o.sub ?? 'kc-alice')
    .setAudience(o.aud ?? [AUDIENCE, 'account'])
    .setIssuedAt(now - 10)
    .setExpirationTime(now + (o.exp ?? 300));
  if (o.nbf !== undefined) jwt.setNotBefore(now + o.nbf);
  return jwt.sign(key.privateKey);
}

const externals = (config: { jwksUri?: string; audience?: string } = {}, cooldownMs?: number) =>
  new ExternalIssuers([{ issuer, tenantId: TENANT, audience: AUDIENCE, ...config }], 5, cooldownMs);

/** Verifies as the gateway does: the issuer the token names, then its keys. */
async function verify(verifier: ExternalIssuers, jwt: string) {
  const configured = verifier.issuerOf(jwt);
  if (!configured) throw new Error('not routed to the external issuer');
  return verifier.verify(jwt, configured, new Date());
}

const refused = (code: string) => ({ status: 401, code });

describe('ExternalIssuers', () => {
  it.each(['rs', 'es', 'ps'])(
    'verifies a %s token with keys discovered from the issuer; its subject is the federated user',
    async (name) => {
      const verifier = externals();
      await expect(verify(verifier, await token({ key: keys[name] }))).resolves.toMatchObject({
        tenantId: TENANT,
        subject: federatedUserId(TENANT, issuer, 'kc-alice'),
      });
      expect(idp.discoveryFetches).toBe(1);
    },
  );

  it('fetches discovery and keys once, then serves from jose’s cache', async () => {
    const verifier = externals();
    await Promise.all([verify(verifier, await token()), verify(verifier, await token({ sub: 'kc-bob' }))]);
    await verify(verifier, await token({ key: keys.es }));
    expect({ discovery: idp.discoveryFetches, jwks: idp.jwksFetches }).toEqual({ discovery: 1, jwks: 1 });
  });

  it('uses a configured jwksUri without discovery', async () => {
    const verifier = externals({ jwksUri: `${issuer}/certs` });
    await verify(verifier, await token());
    expect({ discovery: idp.discoveryFetches, jwks: idp.jwksFetches }).toEqual({ discovery: 0, jwks: 1 });
  });

  it('routes only tokens whose iss is a configured external issuer', async () => {
    const verifier = externals();
    expect(verifier.issuerOf(await token({ iss: 'http://127.0.0.1:8090' }))).toBeUndefined();
    expect(verifier.issuerOf(await token({ iss: `${issuer}/` }))).toBeUndefined();
    expect(verifier.issuerOf('not-a-jwt')).toBeUndefined();
    expect(new ExternalIssuers([], 5).issuerOf(await token())).toBeUndefined();
  });

  it.each<[string, () => Promise<string>, string]>([
    ['a wrong audience', () => token({ aud: 'someone-else' }), 'AUTH.TOKEN_INVALID'],
    ['Meridian’s audience', () => token({ aud: API_AUDIENCE }), 'AUTH.TOKEN_INVALID'],
    ['an expired token', () => token({ exp: -60 }), 'AUTH.TOKEN_EXPIRED'],
    ['a token not valid yet', () => token({ nbf: 120 }), 'AUTH.TOKEN_EXPIRED'],
    ['a key the issuer does not publish', () => token({ key: keys.unpublished }), 'AUTH.TOKEN_INVALID'],
    [
      'another key under a published kid',
      async () => token({ key: { ...keys.unpublished, kid: keys.rs.kid } }),
      'AUTH.TOKEN_INVALID',
    ],
    [
      'a tampered payload',
      async () => {
        const [header, , signature] = (await token()).split('.');
        const payload = (await token({ sub: 'kc-admin' })).split('.')[1];
        return `${header}.${payload}.${signature}`;
      },
      'AUTH.TOKEN_INVALID',
    ],
  ])('refuses %s', async (_case, jwt, code) => {
    await expect(verify(externals(), await jwt())).rejects.toMatchObject(refused(code));
  });

  it('refuses alg none and HS256 keyed with the public key, without fetching any key', async () => {
    const verifier = externals();
    const b64 = (v: unknown) => Buffer.from(JSON.stringify(v)).toString('base64url');
    const claims = { iss: issuer, sub: 'kc-alice', aud: AUDIENCE, exp: Math.floor(Date.now() / 1000) + 300 };
    const none = `${b64({ alg: 'none', kid: keys.rs.kid })}.${b64(claims)}.`;
    const secret = new TextEncoder().encode(await exportSPKI(keys.rs.publicKey));
    const hs = await new SignJWT(claims).setProtectedHeader({ alg: 'HS256', kid: keys.rs.kid }).sign(secret);
    await expect(verify(verifier, none)).rejects.toMatchObject(refused('AUTH.TOKEN_INVALID'));
    await expect(verify(verifier, hs)).rejects.toMatchObject(refused('AUTH.TOKEN_INVALID'));
    expect(idp.discoveryFetches + idp.jwksFetches).toBe(0);
  });

  it('refetches the keys once for an unknown kid (rotation), and not again while cooling down', async () => {
    const verifier = externals({}, 300);
    await verify(verifier, await token());
    idp.keys = [keys.rs, keys.rotated];
    // Right after a fetch an unknown kid is refused without asking the IdP again.
    await expect(verify(verifier, await token({ key: keys.rotated }))).rejects.toMatchObject(
      refused('AUTH.TOKEN_INVALID'),
    );
    expect(idp.jwksFetches).toBe(1);
    await new Promise((r) => setTimeout(r, 350));
    await expect(verify(verifier, await token({ key: keys.rotated }))).resolves.toMatchObject({ tenantId: TENANT });
    expect(idp.jwksFetches).toBe(2);
    // A made-up kid right after that costs no fetch.
    await expect(verify(verifier, await token({ key: keys.unpublished }))).rejects.toMatchObject(
      refused('AUTH.TOKEN_INVALID'),
    );
    expect(idp.jwksFetches).toBe(2);
  });

  it('answers 401 while the JWKS endpoint fails, and verifies again once it is back', async () => {
    const verifier = externals({ jwksUri: `${issuer}/certs` });
    idp.jwksStatus = 503;
    await expect(verify(verifier, await token())).rejects.toMatchObject({
      ...refused('AUTH.TOKEN_INVALID'),
      message: expect.stringContaining('cannot be fetched'),
    });
    idp.jwksStatus = 200;
    await expect(verify(verifier, await token())).resolves.toMatchObject({ tenantId: TENANT });
  });

  it('answers 401 when discovery fails, and retries discovery with the next token', async () => {
    const verifier = externals();
    idp.hang = true;
    const started = Date.now();
    await expect(verify(verifier, await token())).rejects.toMatchObject(refused('AUTH.TOKEN_INVALID'));
    expect(Date.now() - started).toBeLessThan(4000);
    idp.hang = false;
    await expect(verify(verifier, await token())).resolves.toMatchObject({ tenantId: TENANT });
  });

  it('answers 401 when the JWKS host refuses connections', async () => {
    const closed = createServer();
    await new Promise<void>((resolve) => closed.listen(0, '127.0.0.1', resolve));
    const port = (closed.address() as AddressInfo).port;
    await new Promise((resolve) => closed.close(resolve));
    const verifier = externals({ jwksUri: `http://127.0.0.1:${port}/certs` });
    await expect(verify(verifier, await token())).rejects.toMatchObject(refused('AUTH.TOKEN_INVALID'));
  });
});

describe('TokenVerifier with external issuers', () => {
  const MERIDIAN = 'http://meridian.test';
  const noKeys: SigningKeys = { ready: true, keyFor: (kid) => ({ usable: false, reason: `no signing key ${kid}` }) };
  const settings = (): AuthSettings => ({
    issuer: MERIDIAN,
    audience: API_AUDIENCE,
    clockToleranceSeconds: 5,
    externalIssuers: [{ issuer, tenantId: TENANT, audience: AUDIENCE }],
  });

  it('verifies an external issuer’s token with its keys, and leaves other tokens to Meridian’s keys', async () => {
    const verifier = new TokenVerifier(settings(), noKeys);
    await expect(verifier.verify(await token(), new Date())).resolves.toMatchObject({
      tenantId: TENANT,
      subject: federatedUserId(TENANT, issuer, 'kc-alice'),
    });
    // The same key and claims under Meridian's issuer: Meridian's keys decide, and know no such kid.
    await expect(verifier.verify(await token({ iss: MERIDIAN }), new Date())).rejects.toMatchObject(
      refused('AUTH.TOKEN_INVALID'),
    );
  });

  it('never fetches an external key for a Meridian token, even while the external IdP is down', async () => {
    idp.hang = true;
    const verifier = new TokenVerifier(settings(), noKeys);
    const started = Date.now();
    await expect(verifier.verify(await token({ iss: MERIDIAN }), new Date())).rejects.toMatchObject(
      refused('AUTH.TOKEN_INVALID'),
    );
    expect(Date.now() - started).toBeLessThan(500);
    expect(idp.discoveryFetches + idp.jwksFetches).toBe(0);
  });
});
