import type { EventStore } from '@meridian/shared/decider';

/** What the user commands need: the event store, and SECRETS_KEY to open passwords and seal their hashes. */
export interface UserDeps {
  readonly store: EventStore;
  readonly secretsKey: Buffer;
}

export const USER_DEPS = Symbol('meridian.identity.user-deps');
