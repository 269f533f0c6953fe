import { accept, type Decider, type DomainEvent, fold, reject } from '@meridian/shared/decider';

/** A tiny decider for the handle() tests: counts increments until it is closed. */
export type CounterCommand = { readonly type: 'increment'; readonly by: number } | { readonly type: 'close' };
export type CounterEvent =
  DomainEvent<'counter.incremented', { readonly by: number }> | DomainEvent<'counter.closed', Record<string, never>>;
export interface CounterState {
  readonly count: number;
  readonly increments: number;
  readonly closed: boolean;
}

export const counter: Decider<CounterCommand, CounterState, CounterEvent> = {
  initialState: { count: 0, increments: 0, closed: false },
  stateVersion: 1,
  decide: (command, state) => {
    if (state.closed) return reject('ASSET.RETIRED', 'counter is closed');
    switch (command.type) {
      case 'increment':
        return accept({ type: 'counter.incremented', data: { by: command.by } });
      case 'close':
        return accept({ type: 'counter.closed', data: {} });
    }
  },
  evolve: (state, event) => {
    switch (event.type) {
      case 'counter.incremented':
        return { ...state, count: state.count + event.data.by, increments: state.increments + 1 };
      case 'counter.closed':
        return { ...state, closed: true };
    }
  },
};

export const increment = (by = 1): CounterCommand => ({ type: 'increment', by });

/** The state a full replay of the stored events gives, snapshots aside. */
export const replay = (events: readonly { readonly type: string; readonly data: unknown }[]): CounterState =>
  fold(
    counter,
    counter.initialState,
    events.map((e) => ({ type: e.type, data: e.data }) as CounterEvent),
  );
