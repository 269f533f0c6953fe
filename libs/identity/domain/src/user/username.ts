import { accept, type Decider, type DomainEvent, reject } from '@meridian/shared/decider';
import { UserRejections } from './user.vocabulary';

/**
 * Usernames are unique per tenant. Each one is a stream of its own, claimed for a user id with
 * optimistic concurrency before the user is created: of two creates racing for one name, the
 * second append conflicts, reloads and finds the name taken. (A unique index on the read model
 * could not do it: the read model learns of a user after the create was accepted.)
 */
export type UsernameReserved = DomainEvent<
  'username.reserved.v1',
  { readonly tenantId: string; readonly username: string; readonly userId: string; readonly reservedAt: string }
>;
export type UsernameEvent = UsernameReserved;

export type ReserveUsername = {
  readonly type: 'ReserveUsername';
  readonly data: {
    readonly tenantId: string;
    readonly username: string;
    readonly userId: string;
    readonly now: string;
  };
};
export type UsernameCommand = ReserveUsername;

export type UsernameState = { readonly status: 'free' } | { readonly status: 'reserved'; readonly userId: string };

export const usernameDecider: Decider<UsernameCommand, UsernameState, UsernameEvent> = {
  initialState: { status: 'free' },
  stateVersion: 1,
  decide(command, state) {
    switch (command.type) {
      case 'ReserveUsername': {
        const { tenantId, username, userId, now } = command.data;
        // The same user claiming again (a retried create) keeps its name.
        if (state.status === 'reserved') {
          return state.userId === userId
            ? accept()
            : reject(UserRejections.usernameTaken, `username ${username} is taken`);
        }
        return accept({ type: 'username.reserved.v1', data: { tenantId, username, userId, reservedAt: now } });
      }
      default: {
        const unknownCommand: never = command.type;
        return unknownCommand;
      }
    }
  },
  evolve(_state, event) {
    switch (event.type) {
      case 'username.reserved.v1':
        return { status: 'reserved', userId: event.data.userId };
      default: {
        const unknownEvent: never = event.type;
        return unknownEvent;
      }
    }
  },
};

export const usernameStreamId = (tenantId: string, username: string): string => `username-${tenantId}/${username}`;
