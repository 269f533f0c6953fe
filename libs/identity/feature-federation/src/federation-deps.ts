import type { EventStore } from '@meridian/shared/decider';

/** What the federation commands need: the event store, and SECRETS_KEY to seal and open client secrets. */
export interface FederationDeps {
  readonly store: EventStore;
  readonly secretsKey: Buffer;
}

export const FEDERATION_DEPS = Symbol('meridian.identity.federation-deps');
