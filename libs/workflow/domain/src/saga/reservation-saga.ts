import { accept, type Decider, type Decision, type DomainEvent, reject } from '@meridian/shared/decider';

/**
 * The progress of one reservation saga, event-sourced so that it resumes after a crash where it
 * stopped: `assign` reserves each asset for the mission's window, then completes the assignment or
 * — when an asset is taken, or the mission no longer waits — releases what it reserved and fails;
 * `release` gives back a finished mission's assets. Each step is recorded after it happened; the
 * steps themselves are idempotent commands (ids derived from the saga), so a step redone after a
 * crash changes nothing twice.
 */
export type SagaKind = 'assign' | 'release';

type Started = DomainEvent<
  'saga.started.v1',
  {
    readonly sagaId: string;
    readonly kind: SagaKind;
    readonly missionId: string;
    readonly tenantId: string;
    readonly assetIds: readonly string[];
    readonly window: { readonly start: string; readonly end: string };
    readonly at: string;
  }
>;
type Reserved = DomainEvent<'saga.asset-reserved.v1', { readonly assetId: string; readonly at: string }>;
type Refused = DomainEvent<
  'saga.asset-refused.v1',
  { readonly assetId: string; readonly reason: string; readonly at: string }
>;
type Released = DomainEvent<'saga.asset-released.v1', { readonly assetId: string; readonly at: string }>;
type Finished = DomainEvent<
  'saga.finished.v1',
  { readonly outcome: 'completed' | 'failed'; readonly reason: string | null; readonly at: string }
>;
export type SagaEvent = Started | Reserved | Refused | Released | Finished;

export type SagaState =
  | { readonly status: 'none' }
  | {
      readonly status: 'running' | 'finished';
      readonly started: Started['data'];
      readonly reserved: readonly string[];
      readonly released: readonly string[];
      readonly refusal: { readonly assetId: string; readonly reason: string } | null;
      readonly outcome: 'completed' | 'failed' | null;
    };

export type SagaCommand =
  | { readonly type: 'StartSaga'; readonly data: Started['data'] }
  | { readonly type: 'RecordSagaStep'; readonly data: Reserved | Refused | Released | Finished };

function decideSaga(command: SagaCommand, state: SagaState): Decision<SagaEvent> {
  if (command.type === 'StartSaga') {
    return state.status === 'none' ? accept({ type: 'saga.started.v1', data: command.data }) : accept();
  }
  if (state.status === 'none') return reject('SAGA.NOT_FOUND', 'the saga has not started');
  if (state.status === 'finished') return accept();
  const step = command.data;
  switch (step.type) {
    case 'saga.asset-reserved.v1':
      // After a refusal the saga only compensates: a late reservation is not recorded as held.
      return state.reserved.includes(step.data.assetId) || state.refusal ? accept() : accept(step);
    case 'saga.asset-released.v1':
      return state.released.includes(step.data.assetId) ? accept() : accept(step);
    case 'saga.asset-refused.v1':
      return state.refusal ? accept() : accept(step);
    case 'saga.finished.v1':
      return accept(step);
    default: {
      const unknownStep: never = step;
      return unknownStep;
    }
  }
}

function evolveSaga(state: SagaState, event: SagaEvent): SagaState {
  if (event.type === 'saga.started.v1') {
    return { status: 'running', started: event.data, reserved: [], released: [], refusal: null, outcome: null };
  }
  if (state.status === 'none') return state;
  switch (event.type) {
    case 'saga.asset-reserved.v1':
      return { ...state, reserved: [...state.reserved, event.data.assetId] };
    case 'saga.asset-released.v1':
      return { ...state, released: [...state.released, event.data.assetId] };
    case 'saga.asset-refused.v1':
      return { ...state, refusal: { assetId: event.data.assetId, reason: event.data.reason } };
    case 'saga.finished.v1':
      return { ...state, status: 'finished', outcome: event.data.outcome };
    default: {
      const unknownEvent: never = event;
      return unknownEvent;
    }
  }
}

export const sagaDecider: Decider<SagaCommand, SagaState, SagaEvent> = {
  initialState: { status: 'none' },
  stateVersion: 1,
  decide: decideSaga,
  evolve: evolveSaga,
};

export const sagaStreamId = (sagaId: string): string => `saga-${sagaId}`;
