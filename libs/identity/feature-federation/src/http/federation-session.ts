import { RedisStore } from 'connect-redis';
import type { Request, RequestHandler } from 'express';
import session from 'express-session';
import type Redis from 'ioredis';

/** What a federated login keeps between its steps, beside openid-client's PKCE verifier. */
export interface PendingFederation {
  readonly tenantId: string;
  /** The oidc-provider interaction the login finishes. */
  readonly uid: string;
  /** Set by the callback once the user exists: the finish step completes the interaction with it. */
  readonly accountId?: string;
}

declare module 'express-session' {
  interface SessionData {
    federation?: PendingFederation;
  }
}

export const FEDERATION_COOKIE = 'meridian.federation';
const KEY_PREFIX = 'meridian:identity:federation-session:';

export interface FederationSessionOptions {
  readonly redis: Redis;
  /** Signs the cookie (the provider's cookie keys, newest first: older ones still verify). */
  readonly cookieKeys: readonly string[];
  readonly ttlS: number;
  /** Meridian's public URL: an https one makes the cookie `Secure` (and trusts X-Forwarded-Proto). */
  readonly publicUrl: string;
}

/**
 * The session openid-client's strategy needs for its PKCE verifier, and that the login keeps its
 * tenant and interaction in. It lives in Redis, so the IdP may send the person back to any
 * replica; it expires after `ttlS` (one login's time, never extended) and is deleted when the
 * login finishes. Created only by a login's start, never for other requests. Losing Redis loses
 * only the logins in flight: those people start again.
 */
export function federationSession(options: FederationSessionOptions): RequestHandler {
  const secure = new URL(options.publicUrl).protocol === 'https:';
  return session({
    name: FEDERATION_COOKIE,
    secret: [...options.cookieKeys],
    store: new RedisStore({ client: options.redis, prefix: KEY_PREFIX, ttl: options.ttlS, disableTouch: true }),
    resave: false,
    saveUninitialized: false,
    rolling: false,
    unset: 'destroy',
    ...(secure ? { proxy: true } : {}),
    // Lax: the IdP's redirect back is a top-level GET from another site, which carries a Lax cookie.
    cookie: { httpOnly: true, sameSite: 'lax', secure, path: '/', maxAge: options.ttlS * 1000 },
  });
}

/** A new session id for a new login (nothing from an earlier attempt carries over). */
export const regenerateSession = (req: Request): Promise<void> =>
  new Promise((resolve, reject) => req.session.regenerate((err: unknown) => (err ? reject(err) : resolve())));

/** Ends the login's session: its verifier and pending state are used up. */
export const destroySession = (req: Request): Promise<void> =>
  new Promise((resolve, reject) => req.session.destroy((err: unknown) => (err ? reject(err) : resolve())));
