import type { NextFunction, Request, Response } from 'express';
import * as client from 'openid-client';
import { Strategy, type VerifyFunction } from 'openid-client/passport';
import passport from 'passport';
import { type Log, openSecret } from '@meridian/shared/util';
import type { TenantFederation } from './tenant-federation';

/** What Meridian asks the external provider for: who the person is, and its groups (in the ID token). */
export const FEDERATION_SCOPE = 'openid profile email';
const DISCOVERY_TIMEOUT_S = 10;

export interface IdpStrategiesOptions {
  /** Meridian's public base URL: the callback is `<publicUrl>/federation/<tenant>/callback`. */
  readonly publicUrl: string;
  readonly secretsKey: Buffer;
  /** Plain-http issuers are allowed on loopback always, elsewhere only outside production. */
  readonly production: boolean;
  readonly log: Log;
}

interface Cached {
  readonly version: number;
  readonly name: string;
  readonly ready: Promise<string>;
}

const LOOPBACK = new Set(['127.0.0.1', 'localhost', '[::1]']);

/** The strategy hands the ID token's claims on; the mapping to a Meridian user happens in the route. */
const verify: VerifyFunction = (tokens, verified) => {
  const claims = tokens.claims();
  if (!claims) return verified(null, false, { message: 'the identity provider sent no ID token' });
  return verified(null, claims);
};

export const callbackPath = (tenantId: string): string => `/federation/${tenantId}/callback`;
/** Where openid-client's strategy keeps the PKCE verifier in the session, one slot per tenant. */
export const strategySessionKey = (tenantId: string): string => `federation:${tenantId}`;

/**
 * openid-client's passport Strategy per tenant, built at the tenant's first login (discovery of
 * its issuer) and kept until its settings change (another stream version). A failed discovery is
 * not kept, so the next login tries again. The strategies live in a Passport instance of their
 * own, registered by name: Passport then runs each request on a fresh object derived from the
 * strategy, which is what makes one strategy safe for concurrent logins.
 */
export class IdpStrategies {
  private readonly passport = new passport.Passport();
  private readonly byTenant = new Map<string, Cached>();

  constructor(private readonly options: IdpStrategiesOptions) {}

  /** The registered name of the tenant's strategy for these settings; discovery runs once per version. */
  strategyFor(federation: TenantFederation): Promise<string> {
    const { tenantId, version } = federation;
    const cached = this.byTenant.get(tenantId);
    if (cached?.version === version) return cached.ready;
    const name = `federation:${tenantId}:${version}`;
    const ready = this.build(federation).then((strategy) => {
      if (cached) this.passport.unuse(cached.name);
      this.passport.use(name, strategy);
      return name;
    });
    this.byTenant.set(tenantId, { version, name, ready });
    ready.catch((err: Error) => {
      if (this.byTenant.get(tenantId)?.ready === ready) this.byTenant.delete(tenantId);
      this.options.log.warn({ tenantId, issuer: federation.settings.issuer, err: err.message }, 'idp discovery failed');
    });
    return ready;
  }

  /**
   * Runs the named strategy on the request: at the start it redirects to the IdP itself;
   * at the callback it calls `done` with the claims, a failure (`false` and why), or an error.
   */
  authenticate(
    name: string,
    req: Request,
    res: Response,
    next: NextFunction,
    done: passport.AuthenticateCallback,
  ): void {
    this.passport.authenticate(name, { session: false }, done)(req, res, next);
  }

  private async build(federation: TenantFederation): Promise<Strategy> {
    const { tenantId, settings } = federation;
    const issuer = new URL(settings.issuer);
    const insecure = issuer.protocol === 'http:';
    if (insecure && this.options.production && !LOOPBACK.has(issuer.hostname)) {
      throw new Error(`the issuer ${settings.issuer} is not https: refused in production`);
    }
    const config = await client.discovery(
      issuer,
      settings.clientId,
      openSecret(this.options.secretsKey, settings.clientSecret),
      undefined,
      { timeout: DISCOVERY_TIMEOUT_S, ...(insecure ? { execute: [client.allowInsecureRequests] } : {}) },
    );
    return new Strategy(
      {
        config,
        name: `federation:${tenantId}`,
        sessionKey: strategySessionKey(tenantId),
        callbackURL: `${this.options.publicUrl}${callbackPath(tenantId)}`,
        scope: FEDERATION_SCOPE,
      },
      verify,
    );
  }
}
