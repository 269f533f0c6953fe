import express, { type NextFunction, type Request, type Response, type Router } from 'express';
import type Provider from 'oidc-provider';
import type { Interaction } from 'oidc-provider';
import { TenantId } from '@meridian/contracts/identity';
import type { IdentityDirectory } from '@meridian/identity/domain';
import type { Log } from '@meridian/shared/util';
import { PAGE_HEADERS } from '../http/html';
import { accountIdOf } from '../provider/accounts';
import { CONSOLE_CLIENT_ID } from '../provider/clients';
import { errorPage } from '../provider/error-page';
import type { ProviderHost } from '../provider/provider-host';
import type { FederationLinks } from './federation';
import { loginPage } from './login-page';

const WRONG_LOGIN = 'Wrong tenant, username or password.';

/** Login outcomes since start: the failures are what an operator watches for password guessing. */
export class LoginCounters {
  succeeded = 0;
  failed = 0;
}

export interface InteractionDeps {
  readonly host: ProviderHost;
  readonly directory: IdentityDirectory;
  readonly federation: () => FederationLinks;
  readonly counters: LoginCounters;
  readonly log: Log;
}

const text = (value: unknown, max: number): string => (typeof value === 'string' ? value.slice(0, max) : '');

function send(res: Response, status: number, html: string): void {
  res.status(status).set(PAGE_HEADERS).send(html);
}

function providerOf(host: ProviderHost): Provider {
  const provider = host.provider();
  if (!provider) throw Object.assign(new Error('no signing key is active yet'), { statusCode: 503 });
  return provider;
}

/**
 * The pages oidc-provider sends the user agent to (`/interaction/:uid`): the login form, and the
 * console's consent, which is implied (a first-party client) and granted without a page.
 */
export function interactionRouter(deps: InteractionDeps): Router {
  const router = express.Router();
  const form = express.urlencoded({ extended: false, limit: '8kb', parameterLimit: 10 });

  async function showLogin(
    res: Response,
    interaction: Interaction,
    status: number,
    fields: { tenant: string; username: string; error: string | null },
  ): Promise<void> {
    const tenant = TenantId.safeParse(fields.tenant);
    const federation = tenant.success ? await deps.federation()(tenant.data, interaction.uid) : null;
    const clientName = interaction.params['client_id'] === CONSOLE_CLIENT_ID ? 'the Meridian console' : 'Meridian';
    send(res, status, loginPage({ uid: interaction.uid, clientName, ...fields, federation }));
  }

  router.get('/:uid', async (req: Request, res: Response) => {
    const provider = providerOf(deps.host);
    const interaction = await provider.interactionDetails(req, res);
    if (interaction.prompt.name === 'login') {
      await showLogin(res, interaction, 200, { tenant: text(req.query['tenant'], 63), username: '', error: null });
      return;
    }
    if (interaction.prompt.name === 'consent' && interaction.params['client_id'] === CONSOLE_CLIENT_ID) {
      await grantConsent(provider, interaction, req, res);
      return;
    }
    send(res, 403, errorPage('access_denied', 'this client needs a consent Meridian does not ask for'));
  });

  router.post('/:uid/login', form, async (req: Request, res: Response) => {
    const provider = providerOf(deps.host);
    const interaction = await provider.interactionDetails(req, res);
    if (interaction.prompt.name !== 'login') {
      send(res, 400, errorPage('invalid_request', 'this sign-in step does not take a password'));
      return;
    }
    const body = (req.body ?? {}) as Record<string, unknown>;
    const tenant = text(body['tenant'], 63).trim();
    const username = text(body['username'], 200).trim();
    const password = text(body['password'], 1024);
    const account =
      TenantId.safeParse(tenant).success && username && password
        ? await deps.directory.verifyPassword(tenant, username, password)
        : null;
    if (!account) {
      deps.counters.failed += 1;
      deps.log.warn({ tenant, uid: interaction.uid, failedLogins: deps.counters.failed }, 'login refused');
      await showLogin(res, interaction, 401, { tenant, username, error: WRONG_LOGIN });
      return;
    }
    deps.counters.succeeded += 1;
    deps.log.info({ tenant: account.tenantId, subject: account.subject }, 'login');
    const login = { accountId: accountIdOf(account.tenantId, account.subject) };
    await provider.interactionFinished(req, res, { login }, { mergeWithLastSubmission: false });
  });

  router.use((err: Error & { statusCode?: number }, _req: Request, res: Response, next: NextFunction) => {
    if (res.headersSent) return next(err);
    const status = err.statusCode ?? 500;
    if (status >= 500) deps.log.error({ err: err.message }, 'interaction failed');
    const described = err as { error?: string; error_description?: string };
    send(res, status, errorPage(described.error ?? 'server_error', described.error_description ?? err.message));
  });
  return router;
}

/** The console is first party: its grant covers what it asked for (scopes, claims, the API resource). */
async function grantConsent(provider: Provider, interaction: Interaction, req: Request, res: Response): Promise<void> {
  const accountId = interaction.session?.accountId;
  if (!accountId) throw Object.assign(new Error('consent without a login'), { statusCode: 400 });
  const grant =
    (interaction.grantId ? await provider.Grant.find(interaction.grantId) : undefined) ??
    new provider.Grant({ accountId, clientId: CONSOLE_CLIENT_ID });
  const details = interaction.prompt.details as {
    missingOIDCScope?: string[];
    missingOIDCClaims?: string[];
    missingResourceScopes?: Record<string, string[]>;
  };
  if (details.missingOIDCScope) grant.addOIDCScope(details.missingOIDCScope.join(' '));
  if (details.missingOIDCClaims) grant.addOIDCClaims(details.missingOIDCClaims);
  for (const [indicator, scopes] of Object.entries(details.missingResourceScopes ?? {})) {
    grant.addResourceScope(indicator, scopes.join(' '));
  }
  const grantId = await grant.save();
  await provider.interactionFinished(req, res, { consent: { grantId } }, { mergeWithLastSubmission: true });
}
