import { Inject, Injectable } from '@nestjs/common';
import type { FastifyReply, FastifyRequest } from 'fastify';
import passport from 'passport';
import { ErrorCodes } from '@meridian/contracts/core';
import { AuthErrors, type Principal } from '@meridian/contracts/identity';
import { ProblemException, problemFromCode } from '@meridian/gateway/util-http';
import { enterActingScope, setActing } from './acting-principal';
import { BEARER_REALM, BearerStrategy } from './bearer.strategy';
import {
  PRINCIPAL_SOURCE,
  type PrincipalSource,
  REQUEST_BUDGET,
  type RequestBudget,
  SIGNING_KEYS,
  type SigningKeys,
} from './ports';
import type { AuthenticatedRequest } from './principal-request';
import { isPublicPath, pathOf } from './public-paths';

/** What passport hands its callback when a strategy fails: a challenge string, or a status (400: malformed). */
function refusal(info: unknown, status: unknown): ProblemException {
  if (status === 400) {
    return problemFromCode(AuthErrors.tokenInvalid, 'the Authorization header is not `Bearer <access token>`');
  }
  return problemFromCode(
    AuthErrors.tokenMissing,
    typeof info === 'string' ? 'no bearer token in the Authorization header' : 'no access token',
  );
}

/** RFC 6750 §3: the challenge of a 401. */
const challenge = (code: string): string =>
  code === AuthErrors.tokenMissing
    ? `Bearer realm="${BEARER_REALM}"`
    : `Bearer realm="${BEARER_REALM}", error="invalid_token"`;

/**
 * The gateway's authentication, run from a Fastify `onRequest` hook (apps/gateway/src/http.ts)
 * for every request but the public paths: before routing to Nest and before the body is read, so
 * an unauthenticated client costs no parsing. passport runs the bearer strategy; the principal
 * then spends one token of its request bucket (429 with Retry-After when empty), and is put on
 * the request (`@Actor()`, `@Tenant()`) and in the acting scope that the ServiceBus forwards.
 * Roles are checked afterwards, per route, by `PermissionGuard`.
 */
@Injectable()
export class Authentication {
  constructor(
    private readonly strategy: BearerStrategy,
    @Inject(SIGNING_KEYS) private readonly keys: SigningKeys,
    @Inject(PRINCIPAL_SOURCE) private readonly principals: PrincipalSource,
    @Inject(REQUEST_BUDGET) private readonly budget: RequestBudget,
  ) {}

  /**
   * The request's principal, or undefined on a public path. Throws the problem to answer (401,
   * 429, 503), with its headers already on `reply`. Must be called synchronously at the start of
   * the hook: it enters the request's acting scope before its first `await`.
   */
  async authenticate(request: FastifyRequest, reply: FastifyReply): Promise<Principal | undefined> {
    const scope = enterActingScope();
    // The route's pattern when one matched: what runs, whatever the URL's spelling.
    if (isPublicPath(request.routeOptions.url ?? pathOf(request.url))) return undefined;
    if (!this.keys.ready || !this.principals.ready) {
      throw problemFromCode(ErrorCodes.upstreamUnavailable, 'signing keys and principals are still loading; retry');
    }
    let principal: Principal;
    try {
      principal = await this.runStrategy(request);
    } catch (err) {
      if (err instanceof ProblemException && err.status === 401) {
        void reply.header('www-authenticate', challenge(err.code));
      }
      throw err;
    }
    const admission = await this.budget.admit(principal);
    if (!admission.allowed) {
      const wait = admission.retryAfterSeconds;
      void reply.header('retry-after', String(wait));
      const limit = this.budget.describe(principal.tenantId);
      throw problemFromCode(ErrorCodes.rateLimited, `${principal.subject} may send ${limit}; retry in ${wait} s`);
    }
    (request as AuthenticatedRequest).principal = principal;
    setActing(scope, principal);
    return principal;
  }

  /**
   * passport's `authenticate` with the strategy, on a request of the Authorization header alone:
   * a token in the query string or body (which the bearer strategy would also take) is never
   * seen, so tokens stay out of URLs and logs. Each request gets its own object inheriting from
   * the strategy, because passport writes its success/fail callbacks onto the strategy it runs.
   */
  private runStrategy(request: FastifyRequest): Promise<Principal> {
    const req = { headers: { authorization: request.headers.authorization } };
    return new Promise((resolve, reject) => {
      const run = passport.authenticate(
        Object.create(this.strategy) as passport.Strategy,
        { session: false },
        (err: unknown, user: Principal | false | null | undefined, info: unknown, status: unknown) => {
          if (err) reject(err);
          else if (user) resolve(user);
          else reject(refusal(info, status));
        },
      ) as (req: unknown, res: unknown, next: (err?: unknown) => void) => void;
      run(req, {}, (err) => reject(err ?? new Error('passport went on without a result')));
    });
  }
}
