import { accept, type Decider, type Decision, type DomainEvent, reject } from '@meridian/shared/decider';
import {
  type AdminAccess,
  canonicalRoles,
  type MemberAttributes,
  type PrincipalRole,
  sameMembership,
} from '../user/membership';

/** Stable codes of the service account's refusals; contracts/identity declares each with its HTTP status. */
export const ServiceAccountRejections = {
  alreadyExists: 'SERVICE_ACCOUNT.ALREADY_EXISTS',
  notFound: 'SERVICE_ACCOUNT.NOT_FOUND',
  disabled: 'SERVICE_ACCOUNT.DISABLED',
} as const;

/**
 * The sealed client secret stays in the (encrypted-at-rest) domain event, so the read model can be
 * rebuilt; the integration mapping leaves it out.
 */
export type ServiceAccountCreated = DomainEvent<
  'service-account.created.v1',
  {
    readonly tenantId: string;
    readonly clientId: string;
    readonly name: string;
    readonly secret: string;
    readonly roles: readonly PrincipalRole[];
    readonly attributes: MemberAttributes;
    readonly platformAdmin: boolean;
    readonly actor: string;
    readonly createdAt: string;
  }
>;

export type ServiceAccountMembershipChanged = DomainEvent<
  'service-account.membership-changed.v1',
  {
    readonly tenantId: string;
    readonly clientId: string;
    readonly roles: readonly PrincipalRole[];
    readonly attributes: MemberAttributes;
    readonly actor: string;
    readonly changedAt: string;
  }
>;

export type ServiceAccountDisabled = DomainEvent<
  'service-account.disabled.v1',
  { readonly tenantId: string; readonly clientId: string; readonly actor: string; readonly disabledAt: string }
>;

export type ServiceAccountEvent = ServiceAccountCreated | ServiceAccountMembershipChanged | ServiceAccountDisabled;

export type CreateServiceAccount = {
  readonly type: 'CreateServiceAccount';
  readonly data: {
    readonly tenantId: string;
    readonly clientId: string;
    readonly name: string;
    /** Sealed with SECRETS_KEY. */
    readonly secret: string;
    readonly roles: readonly PrincipalRole[];
    readonly attributes: MemberAttributes;
    /** Only identity's own bootstrap creates the platform administrator; no contract carries it. */
    readonly platformAdmin: boolean;
    readonly actor: string;
    readonly access: AdminAccess;
    readonly now: string;
  };
};

export type SetServiceAccountMembership = {
  readonly type: 'SetServiceAccountMembership';
  readonly data: {
    readonly tenantId: string;
    readonly clientId: string;
    readonly roles: readonly PrincipalRole[];
    readonly attributes: MemberAttributes;
    readonly actor: string;
    readonly access: AdminAccess;
    readonly now: string;
  };
};

export type DisableServiceAccount = {
  readonly type: 'DisableServiceAccount';
  readonly data: {
    readonly tenantId: string;
    readonly clientId: string;
    readonly actor: string;
    readonly access: AdminAccess;
    readonly now: string;
  };
};

export type ServiceAccountCommand = CreateServiceAccount | SetServiceAccountMembership | DisableServiceAccount;

export type ServiceAccountState =
  | { readonly status: 'none' }
  | {
      readonly status: 'active' | 'disabled';
      readonly tenantId: string;
      readonly clientId: string;
      readonly roles: readonly PrincipalRole[];
      readonly attributes: MemberAttributes;
    };

function create(command: CreateServiceAccount, state: ServiceAccountState): Decision<ServiceAccountEvent> {
  const d = command.data;
  if (!d.access.allow) return reject(d.access.code, d.access.detail);
  // Client ids are global (the token endpoint names no tenant), so another tenant's account counts.
  if (state.status !== 'none') {
    return reject(ServiceAccountRejections.alreadyExists, `service account ${d.clientId} exists`);
  }
  return accept({
    type: 'service-account.created.v1',
    data: {
      tenantId: d.tenantId,
      clientId: d.clientId,
      name: d.name,
      secret: d.secret,
      roles: canonicalRoles(d.roles),
      attributes: d.attributes,
      platformAdmin: d.platformAdmin,
      actor: d.actor,
      createdAt: d.now,
    },
  });
}

function setMembership(
  command: SetServiceAccountMembership,
  state: ServiceAccountState,
): Decision<ServiceAccountEvent> {
  const { tenantId, clientId, roles, attributes, actor, access, now } = command.data;
  if (state.status === 'none' || state.tenantId !== tenantId) {
    return reject(ServiceAccountRejections.notFound, `service account ${clientId} not found`);
  }
  if (!access.allow) return reject(access.code, access.detail);
  if (state.status === 'disabled') {
    return reject(ServiceAccountRejections.disabled, `service account ${clientId} is disabled`);
  }
  if (sameMembership(state, { roles, attributes })) return accept();
  return accept({
    type: 'service-account.membership-changed.v1',
    data: { tenantId, clientId, roles: canonicalRoles(roles), attributes, actor, changedAt: now },
  });
}

function disable(command: DisableServiceAccount, state: ServiceAccountState): Decision<ServiceAccountEvent> {
  const { tenantId, clientId, actor, access, now } = command.data;
  if (state.status === 'none' || state.tenantId !== tenantId) {
    return reject(ServiceAccountRejections.notFound, `service account ${clientId} not found`);
  }
  if (!access.allow) return reject(access.code, access.detail);
  if (state.status === 'disabled') return accept();
  return accept({ type: 'service-account.disabled.v1', data: { tenantId, clientId, actor, disabledAt: now } });
}

export function evolveServiceAccount(state: ServiceAccountState, event: ServiceAccountEvent): ServiceAccountState {
  switch (event.type) {
    case 'service-account.created.v1': {
      const { tenantId, clientId, roles, attributes } = event.data;
      return { status: 'active', tenantId, clientId, roles, attributes };
    }
    case 'service-account.membership-changed.v1':
      return state.status === 'none' ? state : { ...state, roles: event.data.roles, attributes: event.data.attributes };
    case 'service-account.disabled.v1':
      return state.status === 'none' ? state : { ...state, status: 'disabled' };
    default: {
      const unknownEvent: never = event;
      return unknownEvent;
    }
  }
}

/** A service account: an OAuth client (client credentials) of one tenant, with a membership like a user's. */
export const serviceAccountDecider: Decider<ServiceAccountCommand, ServiceAccountState, ServiceAccountEvent> = {
  initialState: { status: 'none' },
  stateVersion: 1,
  decide(command, state) {
    switch (command.type) {
      case 'CreateServiceAccount':
        return create(command, state);
      case 'SetServiceAccountMembership':
        return setMembership(command, state);
      case 'DisableServiceAccount':
        return disable(command, state);
      default: {
        const unknownCommand: never = command;
        return unknownCommand;
      }
    }
  },
  evolve: evolveServiceAccount,
};

/** Client ids are unique across tenants, so the stream is named by the client id alone. */
export const serviceAccountStreamId = (clientId: string): string => `service-account-${clientId}`;

/** The client id of the platform administrator's service account, in the reserved tenant `platform`. */
export const PLATFORM_ADMIN_CLIENT_ID = 'platform-admin';
export const PLATFORM_TENANT = 'platform';
