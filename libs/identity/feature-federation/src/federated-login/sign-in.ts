import { randomUUID } from 'node:crypto';
import type { IDToken } from 'openid-client';
import { CodedError, DisplayName } from '@meridian/contracts/core';
import { AccountErrors, Email, IdentityErrors } from '@meridian/contracts/identity';
import {
  federatedUserId,
  federatedUsername,
  type IdentityDirectory,
  noAttributes,
  rolesForGroups,
  sameValue,
  SYSTEM_ACCESS,
  SYSTEM_ACTOR,
  userDecider,
  userStreamId,
} from '@meridian/identity/domain';
import { type StreamOutcome, systemContext } from '@meridian/identity/data-access';
import { type EventStore, handle, load } from '@meridian/shared/decider';
import { eventually, type Log, stableUuid } from '@meridian/shared/util';
import type { FederatedUserLogin, LogInFederated } from '../federation.ports';
import type { FederationProblem } from '../http/pages';
import { Problems } from '../http/problems';
import type { TenantFederation } from './tenant-federation';

export interface SignInDeps {
  readonly store: EventStore;
  readonly directory: IdentityDirectory;
  readonly logInFederated: LogInFederated;
  readonly accountIdOf: (tenantId: string, subject: string) => string;
  readonly log: Log;
  /** How long to wait for a new user to reach the read model the provider reads accounts from. */
  readonly accountWaitMs?: number;
}

export type SignInOutcome =
  | { readonly ok: true; readonly accountId: string; readonly login: FederatedUserLogin }
  | { readonly ok: false; readonly problem: FederationProblem };

const text = (value: unknown): string | undefined => (typeof value === 'string' && value.trim() ? value : undefined);

/** The `groups` claim: a list of names (Keycloak, Entra), or one name; anything else counts as none. */
export function groupsOf(claims: IDToken): string[] {
  const groups = claims['groups'];
  if (typeof groups === 'string') return [groups];
  return Array.isArray(groups) ? groups.filter((g): g is string => typeof g === 'string') : [];
}

/**
 * The Meridian user an external login maps to (its roles from the tenant's group mapping, maybe
 * none), or why there is none. The user id derives from (tenant, issuer, subject), so no lookup
 * is needed.
 */
export function federatedLoginOf(
  federation: TenantFederation,
  claims: IDToken,
): { ok: true; login: FederatedUserLogin } | { ok: false; problem: FederationProblem } {
  const roles = rolesForGroups(federation.settings, groupsOf(claims));
  const username = federatedUsername([text(claims['preferred_username']), text(claims['email']), claims.sub]);
  if (!username || claims.sub.length > 255) {
    return { ok: false, problem: Problems.refusedAccount('Your organisation account has no usable login name.') };
  }
  const given = [text(claims['given_name']), text(claims['family_name'])].filter(Boolean).join(' ');
  const displayName = DisplayName.safeParse(text(claims['name']) ?? given);
  const email = Email.safeParse(claims['email']);
  return {
    ok: true,
    login: {
      tenantId: federation.tenantId,
      userId: federatedUserId(federation.tenantId, claims.iss, claims.sub),
      issuer: claims.iss,
      externalSubject: claims.sub,
      username,
      displayName: displayName.success ? displayName.data : username,
      email: email.success ? email.data : null,
      roles,
    },
  };
}

const REFUSALS: Readonly<Record<string, FederationProblem>> = {
  [AccountErrors.userDisabled]: Problems.refusedAccount('Your Meridian account is disabled.'),
  [AccountErrors.usernameTaken]: Problems.conflict(
    'Another account of this tenant already has your login name. Ask your administrator.',
  ),
  [AccountErrors.userAlreadyExists]: Problems.conflict('Your Meridian account belongs to another login.'),
};

/**
 * Runs `meridian.identity.user.federated-login.v1` in process (a new command id per login: each
 * login re-applies the mapping, and a role the IdP no longer gives is removed), gives a new user
 * the tenant's configured attributes, then waits until the provider can find the account.
 */
export async function signIn(
  deps: SignInDeps,
  federation: TenantFederation,
  claims: IDToken,
  now: Date,
): Promise<SignInOutcome> {
  const mapped = federatedLoginOf(federation, claims);
  if (!mapped.ok) {
    deps.log.warn({ tenantId: federation.tenantId, reason: mapped.problem.title }, 'federated login refused');
    return mapped;
  }
  const { login } = mapped;
  if (login.roles.length === 0) return refuseWithoutRoles(deps, login, now);
  const run = await runLogIn(deps, login, now);
  if (!run) return { ok: false, problem: Problems.notConfigured(login.tenantId) };
  const { outcome, commandId } = run;
  if (!outcome.result.ok) {
    const { code } = outcome.result;
    deps.log.warn({ tenantId: login.tenantId, userId: login.userId, code }, 'federated login refused');
    return { ok: false, problem: REFUSALS[code] ?? Problems.refusedAccount(`Meridian refused the login (${code}).`) };
  }
  const created = outcome.result.events.some((e) => e.type === 'user.created.v1');
  await applyAttributes(deps.store, federation, login, commandId, now);
  await waitForAccount(deps, login);
  deps.log.info({ tenantId: login.tenantId, userId: login.userId, roles: login.roles, created }, 'federated login');
  return { ok: true, accountId: deps.accountIdOf(login.tenantId, login.userId), login };
}

/** The federated-login command as identity itself issues it; null when the tenant does not exist (any more). */
async function runLogIn(
  deps: SignInDeps,
  login: FederatedUserLogin,
  now: Date,
): Promise<{ outcome: StreamOutcome; commandId: string } | null> {
  const commandId = randomUUID();
  const context = { ...systemContext(commandId, login.tenantId, SYSTEM_ACTOR), access: SYSTEM_ACCESS };
  try {
    return { outcome: await deps.logInFederated({ store: deps.store }, login, context, now), commandId };
  } catch (err) {
    if (err instanceof CodedError && err.code === IdentityErrors.tenantUnknown) return null;
    throw err;
  }
}

/**
 * A person the mapping gives no role gets no account: nothing is created. One who has an account
 * already (its groups changed at the IdP) loses the roles it had, so its tokens are refused from
 * the next principal snapshot on, and is refused as well.
 */
async function refuseWithoutRoles(deps: SignInDeps, login: FederatedUserLogin, now: Date): Promise<SignInOutcome> {
  const { state } = await load(deps.store, userDecider, userStreamId(login.tenantId, login.userId));
  if (state.status === 'active') await runLogIn(deps, login, now);
  deps.log.warn(
    { tenantId: login.tenantId, userId: login.userId, existing: state.status !== 'none' },
    'federated login refused: the mapping gives no role',
  );
  return { ok: false, problem: Problems.noRoles };
}

/**
 * A new federated user starts with no attribute (the users' decider); the tenant's configured
 * ones follow as a membership change before the login completes, so no token is issued before.
 * The check is on the user's state rather than on "created now", so a login interrupted between
 * the two steps is completed at the next one.
 */
async function applyAttributes(
  store: EventStore,
  federation: TenantFederation,
  login: FederatedUserLogin,
  commandId: string,
  now: Date,
): Promise<void> {
  const { attributes } = federation.settings;
  if (sameValue(attributes, noAttributes)) return;
  const { tenantId, userId } = login;
  const streamId = userStreamId(tenantId, userId);
  const { state } = await load(store, userDecider, streamId);
  if (state.status !== 'active' || !sameValue(state.attributes, noAttributes)) return;
  const data = { tenantId, userId, roles: state.roles, attributes, actor: SYSTEM_ACTOR, access: SYSTEM_ACCESS };
  const result = await handle(
    store,
    userDecider,
    streamId,
    { type: 'SetUserMembership', data: { ...data, now: now.toISOString() } },
    { commandId: stableUuid(`${commandId}/attributes`), metadata: { tenantId, actor: SYSTEM_ACTOR } },
  );
  if (!result.ok) throw new Error(`attributes of federated user ${userId} not applied: ${result.code}`);
}

/** The read model learns of a new user from the event store within moments; the provider reads it. */
async function waitForAccount(deps: SignInDeps, login: FederatedUserLogin): Promise<void> {
  await eventually(
    async () => {
      if (!(await deps.directory.findAccount(login.tenantId, login.userId))) {
        throw new Error(`federated user ${login.userId} not in the directory yet`);
      }
    },
    { timeoutMs: deps.accountWaitMs ?? 10_000, intervalMs: 50 },
  );
}
