import type { NextFunction, Request, RequestHandler, Response } from 'express';
import { type HttpMetrics, UNMATCHED_ROUTE } from '@meridian/shared/metrics';

/**
 * The routes of identity's OIDC server as `meridian_http_request_duration_seconds` labels them:
 * oidc-provider's endpoints at their default paths (build-provider sets no `routes`) and the
 * interaction pages. oidc-provider routes inside Koa, out of Express's sight, so the route is told
 * from the path against this closed list; anything else is `unmatched`. The label never holds a raw
 * URL (an interaction uid, a scanner's path): the series stay bounded.
 */
const EXACT_ROUTES: ReadonlySet<string> = new Set([
  '/.well-known/openid-configuration',
  '/jwks',
  '/auth',
  '/token',
  '/me',
  '/token/revocation',
  '/token/introspection',
  '/session/end',
  '/session/end/confirm',
  '/session/end/success',
]);

/** Path-parameter routes: the first pattern that matches names the route. */
const PATTERN_ROUTES: readonly (readonly [RegExp, string])[] = [
  [/^\/auth\/[^/]+$/, '/auth/:uid'],
  [/^\/interaction\/[^/]+$/, '/interaction/:uid'],
  [/^\/interaction\/[^/]+\/login$/, '/interaction/:uid/login'],
  [/^\/interaction\/[^/]+\/federated$/, '/interaction/:uid/federated'],
  [/^\/federation\/[^/]+\/start$/, '/federation/:tenant/start'],
  [/^\/federation\/[^/]+\/callback$/, '/federation/:tenant/callback'],
];

/** The route label of a request path (no query string); `unmatched` when no known route has it. */
export function oidcRouteOf(path: string): string {
  if (EXACT_ROUTES.has(path)) return path;
  for (const [pattern, route] of PATTERN_ROUTES) if (pattern.test(path)) return route;
  return UNMATCHED_ROUTE;
}

/**
 * Express middleware timing every response of the OIDC server into the service's HTTP histogram,
 * from the request's arrival until the response was sent (`finish`), or until the client went
 * away (`close` without `finish`, counted under the status set so far). A 404 is `unmatched`
 * whatever its path: a known prefix with a made-up tail is no route.
 */
export function requestTiming(http: HttpMetrics): RequestHandler {
  return (req: Request, res: Response, next: NextFunction): void => {
    const started = process.hrtime.bigint();
    const path = req.path;
    let done = false;
    const observe = (): void => {
      if (done) return;
      done = true;
      const route = res.statusCode === 404 ? undefined : oidcRouteOf(path);
      const seconds = Number(process.hrtime.bigint() - started) / 1e9;
      http.observe(req.method, route === UNMATCHED_ROUTE ? undefined : route, res.statusCode, seconds);
    };
    res.once('finish', observe);
    res.once('close', observe);
    next();
  };
}
