import type { DomainEvent } from '@meridian/shared/decider';
import type { DefinitionVersion } from '../definition/definition.types';

export interface MissionWindow {
  readonly start: string;
  readonly end: string;
}

/** The area as GeoJSON (a Polygon, checked and wound at the edge). */
export interface MissionArea {
  readonly type: 'Polygon';
  readonly coordinates: readonly (readonly (readonly number[])[])[];
}

/** An event the mission's state takes from people, with what it needs (for the read side's `allowedEvents`). */
export interface MissionTransitionInfo {
  readonly event: string;
  readonly permission: string | null;
  readonly guards: readonly string[];
}

/** Who moved the mission: a person, its timer, an asset entering its area, its assignment saga. */
export type MissionCause = 'user' | 'timer' | 'geofence' | 'saga';

export type MissionCreated = DomainEvent<
  'mission.created.v1',
  {
    readonly missionId: string;
    readonly tenantId: string;
    readonly title: string;
    /** The whole definition version: the mission runs on it for its whole life. */
    readonly definition: DefinitionVersion;
    readonly area: MissionArea;
    readonly window: MissionWindow;
    readonly priority: number;
    readonly deadline: string;
    readonly createdBy: string;
    readonly createdAt: string;
    readonly state: string;
    readonly done: boolean;
    readonly transitions: readonly MissionTransitionInfo[];
  }
>;

export type MissionTransitioned = DomainEvent<
  'mission.transitioned.v1',
  {
    readonly missionId: string;
    readonly from: string;
    readonly to: string;
    readonly done: boolean;
    readonly event: string;
    readonly actor: string;
    readonly cause: MissionCause;
    readonly reason: string | null;
    /** The mission's assets after the transition. */
    readonly assetIds: readonly string[];
    readonly transitions: readonly MissionTransitionInfo[];
    readonly at: string;
  }
>;

export type MissionTimerScheduled = DomainEvent<
  'mission.timer-scheduled.v1',
  {
    readonly missionId: string;
    readonly tenantId: string;
    readonly timerId: string;
    readonly sendId: string;
    readonly event: string;
    readonly dueAt: string;
  }
>;
export type MissionTimerCancelled = DomainEvent<
  'mission.timer-cancelled.v1',
  { readonly missionId: string; readonly timerId: string; readonly cancelledAt: string }
>;
export type MissionTimerFired = DomainEvent<
  'mission.timer-fired.v1',
  { readonly missionId: string; readonly timerId: string; readonly firedAt: string }
>;

export type MissionAssignmentRequested = DomainEvent<
  'mission.assignment-requested.v1',
  {
    readonly missionId: string;
    readonly sagaId: string;
    readonly event: string;
    readonly assetIds: readonly string[];
    readonly window: MissionWindow;
    readonly actor: string;
    readonly at: string;
  }
>;
export type MissionAssignmentFailed = DomainEvent<
  'mission.assignment-failed.v1',
  {
    readonly missionId: string;
    readonly sagaId: string;
    readonly assetIds: readonly string[];
    readonly reason: string;
    readonly at: string;
  }
>;
/** The mission ended holding assets: a saga releases their reservations. */
export type MissionReleaseRequested = DomainEvent<
  'mission.release-requested.v1',
  { readonly missionId: string; readonly sagaId: string; readonly assetIds: readonly string[]; readonly at: string }
>;

export type MissionAssetEnteredArea = DomainEvent<
  'mission.asset-entered-area.v1',
  { readonly missionId: string; readonly assetId: string; readonly ts: string }
>;
export type MissionAssetLeftArea = DomainEvent<
  'mission.asset-left-area.v1',
  { readonly missionId: string; readonly assetId: string; readonly ts: string }
>;

export type MissionEvent =
  | MissionCreated
  | MissionTransitioned
  | MissionTimerScheduled
  | MissionTimerCancelled
  | MissionTimerFired
  | MissionAssignmentRequested
  | MissionAssignmentFailed
  | MissionReleaseRequested
  | MissionAssetEnteredArea
  | MissionAssetLeftArea;
