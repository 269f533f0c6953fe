import express, {
  type ErrorRequestHandler,
  type NextFunction,
  type Request,
  type RequestHandler,
  type Response,
  type Router,
} from 'express';
import type { IDToken } from 'openid-client';
import { TenantId } from '@meridian/contracts/identity';
import type { EventStore } from '@meridian/shared/decider';
import type { Log } from '@meridian/shared/util';
import type { IdpStrategies } from '../federated-login/idp-strategies';
import { signIn, type SignInDeps } from '../federated-login/sign-in';
import { loadTenantFederation, type TenantFederation } from '../federated-login/tenant-federation';
import type { FederationLinkTarget, OidcServerPort } from '../federation.ports';
import { destroySession, FEDERATION_COOKIE, regenerateSession } from './federation-session';
import { type FederationProblem, sendProblemPage } from './pages';
import { problemOfIdpError, Problems } from './problems';

export interface FederationRouteDeps {
  readonly oidc: OidcServerPort;
  readonly store: EventStore;
  readonly strategies: IdpStrategies;
  /** express-session over Redis (federationSession): only these routes use it. */
  readonly session: RequestHandler;
  readonly signIn: SignInDeps;
  readonly log: Log;
}

/** oidc-provider's interaction uids (nanoid: letters, digits, `_`, `-`). */
const UID = /^[A-Za-z0-9_-]{1,128}$/;

const tenantOf = (req: Request): string | null => {
  const parsed = TenantId.safeParse(req.params['tenant']);
  return parsed.success ? parsed.data : null;
};

/** The login page's "Log in with your organisation" link, for tenants with federation configured. */
export const federationLinks =
  (store: EventStore, log: Log) =>
  async (tenantId: string, uid: string): Promise<FederationLinkTarget | null> => {
    try {
      if (!(await loadTenantFederation(store, tenantId))) return null;
      return { href: `/federation/${encodeURIComponent(tenantId)}/start?uid=${encodeURIComponent(uid)}` };
    } catch (err) {
      // The password form must keep working: without the settings, no link.
      log.warn({ tenantId, err: (err as Error).message }, 'federation settings unreadable; no link shown');
      return null;
    }
  };

type CallbackOutcome =
  | { readonly kind: 'claims'; readonly claims: IDToken }
  | { readonly kind: 'failed'; readonly info: unknown }
  | { readonly kind: 'error'; readonly err: unknown };

/** Any other error on these routes (Redis or Postgres away): a page, logged, never a stack trace. */
const lastResort =
  (log: Log): ErrorRequestHandler =>
  (err: Error, _req: Request, res: Response, next: NextFunction) => {
    if (res.headersSent) return next(err);
    log.error({ err: err.message }, 'federated login failed');
    sendProblemPage(res, Problems.unavailable);
  };

/**
 * `/federation/:tenant/start?uid=` sends the person to the tenant's IdP (openid-client's passport
 * strategy: code flow, PKCE S256); `/federation/:tenant/callback` takes the IdP's answer, maps the
 * external subject and groups to a Meridian user, and hands over to `/interaction/:uid/federated`
 * (finishRouter), under the interaction's own path, whose cookie oidc-provider needs to finish.
 */
export function federationRouter(deps: FederationRouteDeps): Router {
  const router = express.Router();

  async function settingsAndStrategy(
    res: Response,
    tenantId: string,
  ): Promise<{ federation: TenantFederation; name: string } | null> {
    const federation = await loadTenantFederation(deps.store, tenantId);
    if (!federation) {
      sendProblemPage(res, Problems.notConfigured(tenantId));
      return null;
    }
    try {
      return { federation, name: await deps.strategies.strategyFor(federation) };
    } catch (err) {
      sendProblemPage(res, problemOfIdpError(err));
      return null;
    }
  }

  router.get('/:tenant/start', deps.session, async (req: Request, res: Response, next: NextFunction) => {
    const tenantId = tenantOf(req);
    const uid = req.query['uid'];
    if (!tenantId || typeof uid !== 'string' || !UID.test(uid)) {
      return sendProblemPage(res, Problems.invalidLink('It names no valid tenant or sign-in.'));
    }
    const provider = deps.oidc.provider();
    if (!provider) return sendProblemPage(res, Problems.unavailable);
    const interaction = await provider.Interaction.find(uid);
    if (!interaction || interaction.prompt.name !== 'login') return sendProblemPage(res, Problems.expired);
    const ready = await settingsAndStrategy(res, tenantId);
    if (!ready) return;
    await regenerateSession(req);
    req.session.federation = { tenantId, uid };
    // Redirects to the IdP; the session (with the PKCE verifier) is saved before the response ends.
    deps.strategies.authenticate(ready.name, req, res, next, (err: unknown) => {
      deps.log.warn({ tenantId, err: (err as Error | null)?.message }, 'federated login could not start');
      sendProblemPage(res, problemOfIdpError(err));
    });
  });

  router.get('/:tenant/callback', deps.session, async (req: Request, res: Response) => {
    const tenantId = tenantOf(req);
    if (!tenantId || (req.query['code'] === undefined && req.query['error'] === undefined)) {
      return sendProblemPage(res, Problems.invalidLink('It is not an answer of an identity provider.'));
    }
    const pending = req.session.federation;
    const stop = async (problem: FederationProblem): Promise<void> => {
      await destroySession(req).catch(() => undefined);
      sendProblemPage(res, problem);
    };
    // No login under way in this browser: the state and PKCE verifier to check the answer against are gone.
    if (!pending || pending.tenantId !== tenantId || pending.accountId) return stop(Problems.expired);
    const ready = await settingsAndStrategy(res, tenantId);
    if (!ready) return;
    const outcome = await new Promise<CallbackOutcome>((resolve) => {
      deps.strategies.authenticate(
        ready.name,
        req,
        res,
        (err: unknown) => resolve({ kind: 'error', err }),
        (err: unknown, user?: unknown, info?: unknown) => {
          if (err) resolve({ kind: 'error', err });
          else if (user) resolve({ kind: 'claims', claims: user as IDToken });
          else resolve({ kind: 'failed', info });
        },
      );
    });
    if (outcome.kind === 'error') {
      deps.log.warn({ tenantId, err: (outcome.err as Error | null)?.message }, 'federated login failed at the idp');
      return stop(problemOfIdpError(outcome.err));
    }
    if (outcome.kind === 'failed') {
      const info = (outcome.info ?? {}) as { error?: unknown; message?: unknown };
      deps.log.warn({ tenantId, error: info.error, message: info.message }, 'federated login refused by the idp');
      return stop(info.error === 'access_denied' ? Problems.refused(String(info.message)) : Problems.expired);
    }
    const result = await signIn(deps.signIn, ready.federation, outcome.claims, new Date());
    if (!result.ok) return stop(result.problem);
    req.session.federation = { ...pending, accountId: result.accountId };
    res.redirect(303, `/interaction/${encodeURIComponent(pending.uid)}/federated`);
  });

  router.use(lastResort(deps.log));
  return router;
}

/**
 * `/interaction/:uid/federated`: completes the provider's interaction with the federated user.
 * Mounted under `/interaction` because oidc-provider binds an interaction to the browser with a
 * cookie on `/interaction/<uid>`, which the `/federation` routes never receive. Needs both that
 * cookie and this login's session: only the browser that went through the IdP finishes.
 */
export function finishRouter(deps: Pick<FederationRouteDeps, 'oidc' | 'session' | 'log'>): Router {
  const router = express.Router();
  router.get('/:uid/federated', deps.session, async (req: Request, res: Response) => {
    const uid = req.params['uid'];
    const pending = req.session.federation;
    if (!pending?.accountId || pending.uid !== uid) return sendProblemPage(res, Problems.expired);
    const provider = deps.oidc.provider();
    if (!provider) return sendProblemPage(res, Problems.unavailable);
    await destroySession(req);
    res.clearCookie(FEDERATION_COOKIE, { path: '/' });
    const interaction = await provider.interactionDetails(req, res).catch(() => null);
    if (!interaction || interaction.uid !== uid || interaction.prompt.name !== 'login') {
      return sendProblemPage(res, Problems.expired);
    }
    const login = { accountId: pending.accountId };
    await provider.interactionFinished(req, res, { login }, { mergeWithLastSubmission: false });
  });
  router.use(lastResort(deps.log));
  return router;
}
