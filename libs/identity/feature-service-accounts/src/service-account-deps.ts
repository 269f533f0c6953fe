import type { EventStore } from '@meridian/shared/decider';

/** What the service-account commands need: the event store, and SECRETS_KEY to check sealed secrets. */
export interface ServiceAccountDeps {
  readonly store: EventStore;
  readonly secretsKey: Buffer;
}

export const SERVICE_ACCOUNT_DEPS = Symbol('meridian.identity.service-account-deps');
