import { randomUUID } from 'node:crypto';
import {
  type AdminAccess,
  type LogInFederated,
  type PrincipalRole,
  SYSTEM_ACCESS,
  SYSTEM_ACTOR,
  userDecider,
  userStreamId,
} from '@meridian/identity/domain';
import { deriveEventId, type EventStore, handle, load } from '@meridian/shared/decider';
import { type CommandContext, type StreamOutcome, systemContext } from '../acting/command-context';
import { requireActiveTenant } from '../acting/tenant-guard';
import { claimUsername } from './claim-username';

/** A login at an external IdP, its groups already mapped to roles by the tenant's mapping. */
export interface FederatedUser {
  readonly tenantId: string;
  /** `federatedUserId(tenantId, issuer, externalSubject)` (@meridian/identity/domain). */
  readonly userId: string;
  readonly issuer: string;
  readonly externalSubject: string;
  readonly username: string;
  readonly displayName: string;
  readonly email: string | null;
  readonly roles: readonly PrincipalRole[];
}

/**
 * Creates the user at its first federated login (claiming its username, as a create does) or
 * brings its roles in step with the mapping; attributes stay as an administrator set them.
 * Refusals: USER.USERNAME_TAKEN (a local user has the name), USER.DISABLED, USER.ALREADY_EXISTS
 * (the id is another identity's); TENANT.UNKNOWN is thrown.
 */
export async function logInFederated(
  deps: { readonly store: EventStore },
  login: FederatedUser,
  context: CommandContext & { readonly access: AdminAccess },
  now: Date,
): Promise<StreamOutcome> {
  const { store } = deps;
  const { tenantId, userId, issuer, externalSubject, username, displayName, email, roles } = login;
  const streamId = userStreamId(tenantId, userId);
  const command: LogInFederated = {
    type: 'LogInFederated',
    data: {
      tenantId,
      userId,
      federation: { issuer, subject: externalSubject },
      username,
      displayName,
      email,
      roles,
      actor: context.actor,
      access: context.access,
      now: now.toISOString(),
    },
  };
  const loaded = await load(store, userDecider, streamId);
  const replayed = loaded.versionsById.has(deriveEventId(context.commandId, 0));
  if (!replayed && loaded.state.status === 'none') {
    const early = userDecider.decide(command, loaded.state);
    if (!early.ok) return { streamId, result: early };
    await requireActiveTenant(store, tenantId);
    const claimed = await claimUsername(store, { tenantId, username, userId }, context, now);
    if (!claimed.ok) return { streamId, result: claimed };
  }
  const options = { commandId: context.commandId, metadata: context.metadata };
  return { streamId, result: await handle(store, userDecider, streamId, command, options) };
}

/**
 * For identity's federation, in process: records one login as `system`. The principal snapshot
 * follows from the projection; the user id to put in the token is `login.userId`.
 */
export const recordFederatedLogin = (store: EventStore, login: FederatedUser, now: Date): Promise<StreamOutcome> =>
  logInFederated(
    { store },
    login,
    { ...systemContext(randomUUID(), login.tenantId, SYSTEM_ACTOR), access: SYSTEM_ACCESS },
    now,
  );
