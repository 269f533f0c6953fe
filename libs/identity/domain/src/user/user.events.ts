import type { DomainEvent } from '@meridian/shared/decider';
import type { Federation } from './user.commands';
import type { MemberAttributes, PrincipalRole } from './membership';

/**
 * The sealed password hash stays in the (encrypted-at-rest) domain event: the read model needs it
 * to verify logins after a rebuild. The integration mapping leaves it out.
 */
export type UserCreated = DomainEvent<
  'user.created.v1',
  {
    readonly tenantId: string;
    readonly userId: string;
    readonly username: string;
    readonly displayName: string;
    readonly email: string | null;
    readonly passwordHash: string | null;
    readonly federation: Federation | null;
    readonly roles: readonly PrincipalRole[];
    readonly attributes: MemberAttributes;
    readonly actor: string;
    readonly createdAt: string;
  }
>;

export type UserMembershipChanged = DomainEvent<
  'user.membership-changed.v1',
  {
    readonly tenantId: string;
    readonly userId: string;
    readonly roles: readonly PrincipalRole[];
    readonly attributes: MemberAttributes;
    readonly actor: string;
    readonly changedAt: string;
  }
>;

export type UserDisabled = DomainEvent<
  'user.disabled.v1',
  { readonly tenantId: string; readonly userId: string; readonly actor: string; readonly disabledAt: string }
>;

export type UserEvent = UserCreated | UserMembershipChanged | UserDisabled;
