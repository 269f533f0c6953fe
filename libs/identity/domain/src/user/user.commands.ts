import type { AdminAccess, MemberAttributes, PrincipalRole } from './membership';

/** The identity of a user at an external identity provider. */
export interface Federation {
  readonly issuer: string;
  readonly subject: string;
}

/** Time, ids and the sealed hash come in with the command; the decider reads no clock and hashes nothing. */
export type CreateUser = {
  readonly type: 'CreateUser';
  readonly data: {
    readonly tenantId: string;
    readonly userId: string;
    readonly username: string;
    readonly displayName: string;
    readonly email: string | null;
    /** The scrypt hash, sealed with SECRETS_KEY; null for a user without a local password. */
    readonly passwordHash: string | null;
    readonly roles: readonly PrincipalRole[];
    readonly attributes: MemberAttributes;
    readonly actor: string;
    readonly access: AdminAccess;
    readonly now: string;
  };
};

export type SetUserMembership = {
  readonly type: 'SetUserMembership';
  readonly data: {
    readonly tenantId: string;
    readonly userId: string;
    readonly roles: readonly PrincipalRole[];
    readonly attributes: MemberAttributes;
    readonly actor: string;
    readonly access: AdminAccess;
    readonly now: string;
  };
};

export type DisableUser = {
  readonly type: 'DisableUser';
  readonly data: {
    readonly tenantId: string;
    readonly userId: string;
    readonly actor: string;
    readonly access: AdminAccess;
    readonly now: string;
  };
};

/** A login through an external IdP: the roles are what the tenant's group mapping makes of its groups. */
export type LogInFederated = {
  readonly type: 'LogInFederated';
  readonly data: {
    readonly tenantId: string;
    readonly userId: string;
    readonly federation: Federation;
    readonly username: string;
    readonly displayName: string;
    readonly email: string | null;
    readonly roles: readonly PrincipalRole[];
    readonly actor: string;
    readonly access: AdminAccess;
    readonly now: string;
  };
};

export type UserCommand = CreateUser | SetUserMembership | DisableUser | LogInFederated;
