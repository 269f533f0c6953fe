import type { ErrorCode } from '@meridian/contracts/core';

/** A domain event as deciders see it: a stable type name and a small payload. */
export interface DomainEvent<T extends string = string, D = unknown> {
  readonly type: T;
  readonly data: D;
}

export type Decision<E> =
  | { readonly ok: true; readonly events: readonly E[] }
  | { readonly ok: false; readonly code: ErrorCode; readonly detail: string };

export const accept = <E>(...events: E[]): Decision<E> => ({ ok: true, events });
export const reject = <E>(code: ErrorCode, detail: string): Decision<E> => ({ ok: false, code, detail });

/**
 * Pure decision logic of one aggregate: time and ids come in with the command, nothing reads a
 * clock or the network. `stateVersion` changes whenever the shape of the state changes, so old
 * snapshots are ignored rather than misread.
 */
export interface Decider<C, S, E extends DomainEvent> {
  readonly initialState: S;
  readonly stateVersion: number;
  decide(command: C, state: S): Decision<E>;
  evolve(state: S, event: E): S;
}

export const fold = <S, E extends DomainEvent>(decider: Decider<unknown, S, E>, state: S, events: readonly E[]): S =>
  events.reduce((s, e) => decider.evolve(s, e), state);
