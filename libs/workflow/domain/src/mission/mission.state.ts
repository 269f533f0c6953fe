import type { DefinitionVersion } from '../definition/definition.types';
import type { MissionArea, MissionEvent, MissionWindow } from './mission.events';

export interface PendingTimer {
  readonly timerId: string;
  readonly sendId: string;
  readonly event: string;
  readonly dueAt: string;
}

export interface PendingAssignment {
  readonly sagaId: string;
  readonly event: string;
  readonly assetIds: readonly string[];
  readonly actor: string;
}

export type MissionState =
  | { readonly status: 'none' }
  | {
      readonly status: 'active' | 'done';
      readonly missionId: string;
      readonly tenantId: string;
      readonly title: string;
      readonly definition: DefinitionVersion;
      readonly area: MissionArea;
      readonly window: MissionWindow;
      readonly priority: number;
      readonly deadline: string;
      readonly createdBy: string;
      /** The machine's state. */
      readonly value: string;
      readonly assetIds: readonly string[];
      readonly pending: PendingAssignment | null;
      /** Assets inside the area now, as the geofence events told. */
      readonly inside: readonly string[];
      readonly timers: readonly PendingTimer[];
      /** Events folded (the stream version): makes ids the decider derives unique per decision. */
      readonly seq: number;
      /** The stream version of the last event published to the read side: what `If-Match` names. */
      readonly publicVersion: number;
    };

export type ActiveMission = Exclude<MissionState, { status: 'none' }>;

export const initialMissionState: MissionState = { status: 'none' };

/** Mission events that reach the integration contract (the rest — timers, presence — stay internal). */
export const PUBLISHED: ReadonlySet<string> = new Set([
  'mission.created.v1',
  'mission.transitioned.v1',
  'mission.assignment-requested.v1',
  'mission.assignment-failed.v1',
  'mission.release-requested.v1',
]);

const without = <T>(list: readonly T[], drop: (t: T) => boolean): T[] => list.filter((t) => !drop(t));

function evolveExisting(state: ActiveMission, event: MissionEvent): ActiveMission {
  switch (event.type) {
    case 'mission.created.v1':
      return state;
    case 'mission.transitioned.v1': {
      const { to, done, assetIds } = event.data;
      return { ...state, value: to, status: done ? 'done' : 'active', assetIds, pending: null };
    }
    case 'mission.timer-scheduled.v1': {
      const { timerId, sendId, dueAt } = event.data;
      return { ...state, timers: [...state.timers, { timerId, sendId, event: event.data.event, dueAt }] };
    }
    case 'mission.timer-cancelled.v1':
    case 'mission.timer-fired.v1':
      return { ...state, timers: without(state.timers, (t) => t.timerId === event.data.timerId) };
    case 'mission.assignment-requested.v1': {
      const { sagaId, assetIds, actor } = event.data;
      return { ...state, pending: { sagaId, event: event.data.event, assetIds, actor } };
    }
    case 'mission.assignment-failed.v1':
      return { ...state, pending: null };
    case 'mission.release-requested.v1':
      return state;
    case 'mission.asset-entered-area.v1':
      return { ...state, inside: [...state.inside, event.data.assetId] };
    case 'mission.asset-left-area.v1':
      return { ...state, inside: without(state.inside, (a) => a === event.data.assetId) };
    default: {
      const unknownEvent: never = event;
      return unknownEvent;
    }
  }
}

export function evolveMission(state: MissionState, event: MissionEvent): MissionState {
  if (state.status === 'none') {
    if (event.type !== 'mission.created.v1') return state;
    const { state: value, done, missionId, tenantId, title, definition, area, window, priority } = event.data;
    return {
      status: done ? 'done' : 'active',
      missionId,
      tenantId,
      title,
      definition,
      area,
      window,
      priority,
      deadline: event.data.deadline,
      createdBy: event.data.createdBy,
      value,
      assetIds: [],
      pending: null,
      inside: [],
      timers: [],
      seq: 1,
      publicVersion: 1,
    };
  }
  const seq = state.seq + 1;
  const publicVersion = PUBLISHED.has(event.type) ? seq : state.publicVersion;
  return { ...evolveExisting(state, event), seq, publicVersion };
}
