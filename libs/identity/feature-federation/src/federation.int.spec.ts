import 'reflect-metadata';
import { randomBytes, randomUUID } from 'node:crypto';
import { createServer } from 'node:net';
import { afterAll, beforeAll, describe, expect, it } from '@jest/globals';
import { type INestApplicationContext, Module } from '@nestjs/common';
import { NestFactory } from '@nestjs/core';
import Redis from 'ioredis';
import { createRemoteJWKSet, decodeJwt, jwtVerify } from 'jose';
import * as client from 'openid-client';
import { Client } from 'pg';
import pino from 'pino';
import { Topics, type Envelope } from '@meridian/contracts/core';
import { API_AUDIENCE, ConfigureFederationV1, Principal } from '@meridian/contracts/identity';
import {
  federatedUserId,
  federationDecider,
  federationStreamId,
  userDecider,
  userStreamId,
} from '@meridian/identity/domain';
import { ensureTenant, IdentityDataAccessModule } from '@meridian/identity/data-access';
import { type EventStore, load } from '@meridian/shared/decider';
import {
  baseConfigSchema,
  CoreModule,
  EVENT_STORE,
  EventSourcingModule,
  loadConfig,
} from '@meridian/shared/service-kit';
import {
  ensureKeycloak,
  keycloakFormLogin,
  type KeycloakClient,
  testBrokers,
  testDatabaseUrl,
} from '@meridian/shared/testing';
import { eventually, isSealedSecret, sealSecret } from '@meridian/shared/util';
// A spec wires the identity features together the way apps/identity does; features never import each other.
// eslint-disable-next-line @nx/enforce-module-boundaries
import {
  accountIdOf,
  CONSOLE_CLIENT_ID,
  IdentityOidcModule,
  OidcHttpServer,
  oidcEnv,
} from '@meridian/identity/feature-oidc';
// eslint-disable-next-line @nx/enforce-module-boundaries
import { logInFederated, userIntegrationEvent } from '@meridian/identity/feature-users';
import { configureFederationRoute } from './configure-federation/configure-federation.handler';
import { federationEnv } from './federation.config';
import { FEDERATION_DEPS, type FederationDeps } from './federation-deps';
import { IdentityFederationModule } from './identity-federation.module';
import { federationIntegrationEvent } from './publish-federation-events/federation-integration-events';
import { Browser, linkHref } from './testing/browser';

/*
 * Federation end to end, without a browser: the console's authorization request at Meridian's
 * provider, the login page's "Log in with your organisation" link, the real Keycloak's login form
 * (infra/scripts/keycloak.sh, realm meridian-ext), the callback, and back to the console with a
 * Meridian code exchanged for a Meridian access token. The identity pieces run as apps/identity
 * runs them: CoreModule, the event store, the read models, the provider and this module.
 */

const SESSION_PREFIX = 'meridian:identity:federation-session:';
const LINK_TEXT = 'Log in with your organisation';

const freePort = (): Promise<number> =>
  new Promise((resolve, reject) => {
    const server = createServer();
    server.once('error', reject);
    server.listen(0, '127.0.0.1', () => {
      const address = server.address();
      const port = typeof address === 'object' && address ? address.port : 0;
      server.close(() => resolve(port));
    });
  });

/** A fresh key table: the ring creates its first key as on a fresh install (as feature-oidc's harness does). */
async function forgetSigningKeys(): Promise<void> {
  const db = new Client({ connectionString: testDatabaseUrl() });
  await db.connect();
  try {
    const { rows } = await db.query<{ t: string | null }>(`SELECT to_regclass('identity.signing_keys')::text AS t`);
    if (rows[0]?.t) await db.query('DELETE FROM identity.signing_keys');
  } finally {
    await db.end();
  }
}

/** The Keycloak subject of a realm user, from a password grant (the realm's client allows it). */
async function keycloakSubject(kc: KeycloakClient, username: string): Promise<string> {
  const res = await fetch(`${kc.issuer}/protocol/openid-connect/token`, {
    method: 'POST',
    headers: { 'content-type': 'application/x-www-form-urlencoded' },
    body: new URLSearchParams({
      grant_type: 'password',
      client_id: kc.clientId,
      client_secret: kc.clientSecret,
      username,
      password: `${username}-pass`,
      scope: 'openid',
    }),
  });
  const body = (await res.json()) as { id_token?: string };
  if (!body.id_token) throw new Error(`no ID token for ${username}: ${JSON.stringify(body)}`);
  return String(decodeJwt(body.id_token).sub);
}

describe('federation: log in at Keycloak, become a Meridian user with mapped roles', () => {
  const run = randomBytes(3).toString('hex');
  const tenant = `fed-${run}`;
  const plainTenant = `nofed-${run}`;
  const redirectUri = 'http://127.0.0.1:9/callback';
  const groupRoles = { dispatchers: ['dispatcher'], 'field-ops': ['operator'], admins: ['admin'] };
  let kc: KeycloakClient;
  let app: INestApplicationContext;
  let issuer: string;
  let store: EventStore;
  let db: Client;
  let redis: Redis;
  let consoleConfig: client.Configuration;

  beforeAll(async () => {
    kc = await ensureKeycloak();
    const port = await freePort();
    issuer = `http://127.0.0.1:${port}`;
    const schema = baseConfigSchema.extend({ ...oidcEnv, ...federationEnv });
    const config = loadConfig(schema, {
      LOG_LEVEL: 'silent',
      DATABASE_URL: testDatabaseUrl(),
      KAFKA_BROKERS: testBrokers().join(','),
      ...(process.env['TEST_REDIS_URL'] ? { REDIS_URL: process.env['TEST_REDIS_URL'] } : {}),
      OIDC_ISSUER: issuer,
      IDENTITY_OIDC_PORT: String(port),
      IDENTITY_CONSOLE_REDIRECT_URIS: redirectUri,
      IDENTITY_KEY_ACTIVATION_DELAY_MS: '1000',
      // Configured the way `npm start` configures it: from the environment, the secret in clear.
      IDENTITY_FEDERATION: JSON.stringify([
        {
          tenantId: tenant,
          issuer: kc.issuer,
          clientId: kc.clientId,
          clientSecret: kc.clientSecret,
          groupRoles,
          defaultRoles: [],
          attributes: { clearance: 2, teams: ['north'] },
        },
      ]),
    });
    const logger = pino({ level: 'silent' });
    const map = (e: Parameters<typeof userIntegrationEvent>[0]) =>
      federationIntegrationEvent(e) ?? userIntegrationEvent(e);

    @Module({
      imports: [
        CoreModule.forRoot({ service: 'identity', config, logger }),
        EventSourcingModule.forRoot({ schema: 'identity', topic: Topics.identityEvents, map }),
        IdentityDataAccessModule.forRoot(),
        IdentityOidcModule.forRoot(config),
        IdentityFederationModule.forRoot(config, { oidcServer: OidcHttpServer, accountIdOf, logInFederated }),
      ],
    })
    class TestIdentityModule {}

    await forgetSigningKeys();
    app = await NestFactory.createApplicationContext(TestIdentityModule, { logger: false });
    store = app.get<EventStore>(EVENT_STORE);
    await ensureTenant(store, plainTenant, new Date());
    db = new Client({ connectionString: testDatabaseUrl() });
    await db.connect();
    redis = new Redis(config.REDIS_URL);
    await eventually(
      async () => {
        const res = await fetch(`${issuer}/.well-known/openid-configuration`);
        if (res.status !== 200) throw new Error(`discovery answered ${res.status}`);
      },
      { timeoutMs: 20_000, intervalMs: 100 },
    );
    consoleConfig = await client.discovery(new URL(issuer), CONSOLE_CLIENT_ID, undefined, client.None(), {
      execute: [client.allowInsecureRequests],
    });
  }, 300_000);

  afterAll(async () => {
    redis?.disconnect();
    await db?.end();
    await app?.close();
  });

  /** The console's authorization request (code + PKCE), as Swagger UI or the web console sends it. */
  async function authorizationRequest(): Promise<{ url: URL; verifier: string; state: string }> {
    const verifier = client.randomPKCECodeVerifier();
    const state = client.randomState();
    const url = client.buildAuthorizationUrl(consoleConfig, {
      redirect_uri: redirectUri,
      scope: 'openid profile api',
      code_challenge: await client.calculatePKCECodeChallenge(verifier),
      code_challenge_method: 'S256',
      state,
    });
    return { url, verifier, state };
  }

  /** From the authorization request to the IdP's door: the login page, its federation link, the start. */
  async function toKeycloak(browser: Browser) {
    const request = await authorizationRequest();
    const login = await browser.visit(request.url);
    if (login.kind !== 'page') throw new Error('expected the login page');
    const uid = login.url.pathname.split('/')[2] ?? '';
    const page = await browser.visit(`${issuer}/interaction/${uid}?tenant=${tenant}`);
    const href = page.kind === 'page' ? linkHref(page.html, LINK_TEXT) : null;
    expect(href).toBe(`/federation/${tenant}/start?uid=${uid}`);
    const start = await browser.visit(new URL(href ?? '', issuer));
    if (start.kind !== 'left') throw new Error(`the start did not redirect to the IdP: ${JSON.stringify(start)}`);
    return { ...request, keycloakUrl: start.url };
  }

  /** The whole login of a Keycloak user; returns what came back to the console's redirect URI. */
  async function federatedLogin(username: string) {
    const browser = new Browser();
    const { keycloakUrl, verifier, state } = await toKeycloak(browser);
    const sessionKey = `${SESSION_PREFIX}${sessionId(browser)}`;
    const callback = await keycloakFormLogin(keycloakUrl.toString(), username, `${username}-pass`);
    const back = await browser.visit(callback);
    if (back.kind !== 'left')
      throw new Error(`${username}: stopped at ${back.url.pathname} (${back.status}): ${back.html}`);
    return { landed: back.url, verifier, state, sessionKey };
  }

  /** The federation session's id behind its signed cookie (`s:<id>.<signature>`). */
  const sessionId = (browser: Browser): string | undefined =>
    /^s:([^.]+)\./.exec(decodeURIComponent(browser.cookie(issuer, 'meridian.federation') ?? ''))?.[1];

  async function userRow(userId: string) {
    const { rows } = await db.query<{
      username: string;
      roles: string[];
      attributes: Record<string, unknown>;
      federated_issuer: string;
      version: number;
    }>(
      `SELECT username, roles, attributes, federated_issuer, version
         FROM identity.users WHERE tenant_id = $1 AND user_id = $2`,
      [tenant, userId],
    );
    return rows[0] ?? null;
  }

  const configuredAttributes = { region: null, clearance: 2, teams: ['north'], hours: null };

  it('sends the person to the IdP with PKCE S256, keeping the verifier in a short-lived Redis session', async () => {
    const browser = new Browser();
    const { keycloakUrl } = await toKeycloak(browser);
    expect(keycloakUrl.toString().startsWith(`${kc.issuer}/protocol/openid-connect/auth`)).toBe(true);
    expect(keycloakUrl.searchParams.get('client_id')).toBe(kc.clientId);
    expect(keycloakUrl.searchParams.get('code_challenge_method')).toBe('S256');
    expect(keycloakUrl.searchParams.get('scope')).toBe('openid profile email');
    expect(keycloakUrl.searchParams.get('redirect_uri')).toBe(`${issuer}/federation/${tenant}/callback`);
    // The session's Redis key expires with the login.
    const sid = sessionId(browser);
    expect(sid).toBeDefined();
    const ttl = await redis.ttl(`${SESSION_PREFIX}${sid}`);
    expect(ttl).toBeGreaterThan(500);
    expect(ttl).toBeLessThanOrEqual(600);
  });

  it('logs alice in: a Meridian token for her Meridian user in the tenant, roles mapped from her groups', async () => {
    const { landed, verifier, state, sessionKey } = await federatedLogin('alice');
    expect(landed.origin + landed.pathname).toBe(redirectUri);
    // The login's session is used up: gone from Redis once the interaction finished.
    expect(await redis.exists(sessionKey)).toBe(0);
    const tokens = await client.authorizationCodeGrant(consoleConfig, landed, {
      pkceCodeVerifier: verifier,
      expectedState: state,
    });
    const aliceId = federatedUserId(tenant, kc.issuer, await keycloakSubject(kc, 'alice'));
    const { payload } = await jwtVerify(tokens.access_token, createRemoteJWKSet(new URL(`${issuer}/jwks`)), {
      issuer,
      audience: API_AUDIENCE,
      typ: 'at+jwt',
    });
    expect(payload).toMatchObject({ sub: aliceId, tenant, client_id: CONSOLE_CLIENT_ID });
    expect(tokens.claims()).toMatchObject({ sub: accountIdOf(tenant, aliceId), preferred_username: 'alice' });

    // Created with the mapped roles, then given the attributes the tenant configured for federated users.
    await eventually(async () =>
      expect(await userRow(aliceId)).toEqual({
        username: 'alice',
        roles: ['operator', 'dispatcher'],
        attributes: configuredAttributes,
        federated_issuer: kc.issuer,
        version: 2,
      }),
    );
  });

  /** The tenant's administrator changes the mapping through the command (the client secret sealed). */
  async function configureMapping(mapping: Record<string, string[]>): Promise<void> {
    const deps = app.get<FederationDeps>(FEDERATION_DEPS);
    const principal = JSON.stringify(
      Principal.parse({ tenantId: tenant, subject: 'admin-1', kind: 'user', roles: ['admin'], clearance: 4 }),
    );
    const request: Envelope = {
      id: randomUUID(),
      type: ConfigureFederationV1.type,
      source: 'test',
      time: new Date().toISOString(),
      correlationId: randomUUID(),
      tenantId: tenant,
      principal,
      data: {
        issuer: kc.issuer,
        clientId: kc.clientId,
        clientSecret: sealSecret(deps.secretsKey, kc.clientSecret),
        groupRoles: mapping,
        defaultRoles: [],
      },
    };
    expect(await configureFederationRoute(deps, request, new Date())).toMatchObject({
      data: { outcome: 'accepted' },
    });
    const { state } = await load(store, federationDecider, federationStreamId(tenant));
    expect(state).toMatchObject({ status: 'configured', groupRoles: mapping });
  }

  it('re-applies the mapping at every login: a role the mapping no longer gives is gone', async () => {
    await configureMapping({ ...groupRoles, 'field-ops': [] });
    const { landed } = await federatedLogin('alice');
    expect(landed.searchParams.get('code')).toBeTruthy();
    const aliceId = federatedUserId(tenant, kc.issuer, await keycloakSubject(kc, 'alice'));
    const { state: alice } = await load(store, userDecider, userStreamId(tenant, aliceId));
    expect(alice).toMatchObject({ status: 'active', roles: ['dispatcher'] });
    // Only the roles follow the IdP: the attributes stay as they were.
    await eventually(async () =>
      expect(await userRow(aliceId)).toMatchObject({
        roles: ['dispatcher'],
        attributes: configuredAttributes,
        version: 3,
      }),
    );
  });

  it('takes every role from a user none of whose groups is mapped any more, and refuses the login', async () => {
    await configureMapping({ admins: ['admin'] });
    const browser = new Browser();
    const { keycloakUrl } = await toKeycloak(browser);
    const page = await browser.visit(await keycloakFormLogin(keycloakUrl.toString(), 'alice', 'alice-pass'));
    expect(page).toMatchObject({ kind: 'page', status: 403 });
    const aliceId = federatedUserId(tenant, kc.issuer, await keycloakSubject(kc, 'alice'));
    await eventually(async () => expect(await userRow(aliceId)).toMatchObject({ roles: [], version: 4 }));
  });

  it('refuses carol, whom the mapping gives no role, with a page and creates nothing', async () => {
    const browser = new Browser();
    const { keycloakUrl } = await toKeycloak(browser);
    const callback = await keycloakFormLogin(keycloakUrl.toString(), 'carol', 'carol-pass');
    const page = await browser.visit(callback);
    expect(page).toMatchObject({ kind: 'page', status: 403 });
    expect(page.kind === 'page' && page.html).toContain('No access to Meridian');
    const carolId = federatedUserId(tenant, kc.issuer, await keycloakSubject(kc, 'carol'));
    const { state } = await load(store, userDecider, userStreamId(tenant, carolId));
    expect(state).toEqual({ status: 'none' });
    expect(await userRow(carolId)).toBeNull();
  });

  it('answers errors from the IdP with a page, never a 500', async () => {
    // access_denied: the person cancelled at the IdP (Keycloak sends its issuer along, RFC 9207).
    const denied = new Browser();
    await toKeycloak(denied);
    const cancelled = new URL(`${issuer}/federation/${tenant}/callback`);
    cancelled.search = new URLSearchParams({
      error: 'access_denied',
      error_description: 'User cancelled',
      iss: kc.issuer,
    }).toString();
    const deniedPage = await denied.visit(cancelled);
    expect(deniedPage).toMatchObject({ kind: 'page', status: 403 });
    expect(deniedPage.kind === 'page' && deniedPage.html).toContain('User cancelled');

    // A state Meridian never sent (a forged or mixed-up answer).
    const forged = new Browser();
    await toKeycloak(forged);
    const mixed = new URL(`${issuer}/federation/${tenant}/callback`);
    mixed.search = new URLSearchParams({ code: 'abc', state: 'not-ours', iss: kc.issuer }).toString();
    const forgedPage = await forged.visit(mixed);
    expect(forgedPage).toMatchObject({ kind: 'page', status: 400 });

    // An answer in a browser that started no login: nothing to check it against.
    const stranger = await new Browser().visit(mixed);
    expect(stranger).toMatchObject({ kind: 'page', status: 400 });
    expect(stranger.kind === 'page' && stranger.html).toContain('no longer valid');
  });

  it('offers the link only to tenants with federation, and refuses a start for others', async () => {
    const browser = new Browser();
    const login = await browser.visit((await authorizationRequest()).url);
    const uid = login.url.pathname.split('/')[2] ?? '';
    const plain = await browser.visit(`${issuer}/interaction/${uid}?tenant=${plainTenant}`);
    expect(plain.kind === 'page' && plain.html).not.toContain(LINK_TEXT);
    const refused = await browser.visit(`${issuer}/federation/${plainTenant}/start?uid=${uid}`);
    expect(refused).toMatchObject({ kind: 'page', status: 404 });
    const unknownUid = await browser.visit(`${issuer}/federation/${tenant}/start?uid=nope`);
    expect(unknownUid).toMatchObject({ kind: 'page', status: 400 });
  });

  it('stores the client secret sealed, never in clear', async () => {
    const { events } = await store.loadStream(federationStreamId(tenant), federationDecider.stateVersion);
    expect(events.length).toBeGreaterThanOrEqual(2);
    for (const event of events) {
      const { clientSecret } = event.data as { clientSecret: string };
      expect(isSealedSecret(clientSecret)).toBe(true);
      expect(JSON.stringify(event.data)).not.toContain(kc.clientSecret);
    }
  });
});
