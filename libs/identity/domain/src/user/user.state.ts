import type { Federation } from './user.commands';
import type { UserEvent } from './user.events';
import type { MemberAttributes, PrincipalRole } from './membership';

export type UserState =
  | { readonly status: 'none' }
  | {
      readonly status: 'active' | 'disabled';
      readonly tenantId: string;
      readonly userId: string;
      readonly username: string;
      readonly federation: Federation | null;
      readonly roles: readonly PrincipalRole[];
      readonly attributes: MemberAttributes;
    };

export const initialUserState: UserState = { status: 'none' };

export function evolveUser(state: UserState, event: UserEvent): UserState {
  switch (event.type) {
    case 'user.created.v1': {
      const { tenantId, userId, username, federation, roles, attributes } = event.data;
      return { status: 'active', tenantId, userId, username, federation, roles, attributes };
    }
    case 'user.membership-changed.v1':
      return state.status === 'none' ? state : { ...state, roles: event.data.roles, attributes: event.data.attributes };
    case 'user.disabled.v1':
      return state.status === 'none' ? state : { ...state, status: 'disabled' };
    default: {
      const unknownEvent: never = event;
      return unknownEvent;
    }
  }
}
