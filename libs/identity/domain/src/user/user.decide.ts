import { accept, type Decider, type Decision, reject } from '@meridian/shared/decider';
import { canonicalRoles, noAttributes, sameMembership } from './membership';
import type { CreateUser, DisableUser, LogInFederated, SetUserMembership, UserCommand } from './user.commands';
import type { UserEvent } from './user.events';
import { evolveUser, initialUserState, type UserState } from './user.state';
import { UserRejections } from './user.vocabulary';

function create(command: CreateUser, state: UserState): Decision<UserEvent> {
  const d = command.data;
  if (!d.access.allow) return reject(d.access.code, d.access.detail);
  if (state.status !== 'none') return reject(UserRejections.alreadyExists, `user ${d.userId} exists`);
  return accept({
    type: 'user.created.v1',
    data: {
      tenantId: d.tenantId,
      userId: d.userId,
      username: d.username,
      displayName: d.displayName,
      email: d.email,
      passwordHash: d.passwordHash,
      federation: null,
      roles: canonicalRoles(d.roles),
      attributes: d.attributes,
      actor: d.actor,
      createdAt: d.now,
    },
  });
}

/**
 * The user as the command's tenant may see it: another tenant's user does not exist for it. Not
 * found comes before an access refusal, which would tell that the user exists.
 */
function existing(state: UserState, tenantId: string, userId: string): Exclude<UserState, { status: 'none' }> | null {
  return state.status !== 'none' && state.tenantId === tenantId && state.userId === userId ? state : null;
}

function setMembership(command: SetUserMembership, state: UserState): Decision<UserEvent> {
  const { tenantId, userId, roles, attributes, actor, access, now } = command.data;
  const user = existing(state, tenantId, userId);
  if (!user) return reject(UserRejections.notFound, `user ${userId} not found`);
  if (!access.allow) return reject(access.code, access.detail);
  if (user.status === 'disabled') return reject(UserRejections.disabled, `user ${userId} is disabled`);
  if (sameMembership(user, { roles, attributes })) return accept();
  return accept({
    type: 'user.membership-changed.v1',
    data: { tenantId, userId, roles: canonicalRoles(roles), attributes, actor, changedAt: now },
  });
}

function disable(command: DisableUser, state: UserState): Decision<UserEvent> {
  const { tenantId, userId, actor, access, now } = command.data;
  const user = existing(state, tenantId, userId);
  if (!user) return reject(UserRejections.notFound, `user ${userId} not found`);
  if (!access.allow) return reject(access.code, access.detail);
  if (user.status === 'disabled') return accept();
  return accept({ type: 'user.disabled.v1', data: { tenantId, userId, actor, disabledAt: now } });
}

/**
 * First login: the user is created with the mapped roles and no other attribute. Later logins
 * change only the roles (the IdP's groups are the source of truth for them); attributes stay as
 * an administrator set them. A disabled user stays disabled.
 */
function logInFederated(command: LogInFederated, state: UserState): Decision<UserEvent> {
  const d = command.data;
  if (!d.access.allow) return reject(d.access.code, d.access.detail);
  if (state.status === 'none') {
    return accept({
      type: 'user.created.v1',
      data: {
        tenantId: d.tenantId,
        userId: d.userId,
        username: d.username,
        displayName: d.displayName,
        email: d.email,
        passwordHash: null,
        federation: d.federation,
        roles: canonicalRoles(d.roles),
        attributes: noAttributes,
        actor: d.actor,
        createdAt: d.now,
      },
    });
  }
  const f = state.federation;
  if (state.tenantId !== d.tenantId || f?.issuer !== d.federation.issuer || f.subject !== d.federation.subject) {
    return reject(UserRejections.alreadyExists, `user ${d.userId} exists and is not this federated identity`);
  }
  if (state.status === 'disabled') return reject(UserRejections.disabled, `user ${d.userId} is disabled`);
  if (sameMembership(state, { roles: d.roles, attributes: state.attributes })) return accept();
  return accept({
    type: 'user.membership-changed.v1',
    data: {
      tenantId: d.tenantId,
      userId: d.userId,
      roles: canonicalRoles(d.roles),
      attributes: state.attributes,
      actor: d.actor,
      changedAt: d.now,
    },
  });
}

export function decideUser(command: UserCommand, state: UserState): Decision<UserEvent> {
  switch (command.type) {
    case 'CreateUser':
      return create(command, state);
    case 'SetUserMembership':
      return setMembership(command, state);
    case 'DisableUser':
      return disable(command, state);
    case 'LogInFederated':
      return logInFederated(command, state);
    default: {
      const unknownCommand: never = command;
      return unknownCommand;
    }
  }
}

/** A user of one tenant: its login, its roles and attributes (membership), and whether it may act. */
export const userDecider: Decider<UserCommand, UserState, UserEvent> = {
  initialState: initialUserState,
  stateVersion: 1,
  decide: decideUser,
  evolve: evolveUser,
};

/**
 * The tenant is part of the stream id, so a user id named in another tenant's command finds no
 * stream. `/` separates: tenant ids cannot contain it, so no two (tenant, user) pairs share a stream.
 */
export const userStreamId = (tenantId: string, userId: string): string => `user-${tenantId}/${userId}`;

/** The user id of an external identity in a tenant; shared with the gateway, which derives it from tokens. */
export { federatedUserId } from '@meridian/shared/util';
