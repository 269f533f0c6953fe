import type { AccessDecision } from '../access/access';
import type { DefinitionVersion } from '../definition/definition.types';
import type { MissionArea, MissionWindow } from './mission.events';

/**
 * Mission commands. Time, ids, the actor and the access decision (the policy's verdict on the
 * permission the transition needs, made at the edge for the state decided on) come in with them.
 * `commandId` names what the decision starts (an assignment's or a release's saga).
 */
export type CreateMission = {
  readonly type: 'CreateMission';
  readonly data: {
    readonly missionId: string;
    readonly tenantId: string;
    readonly title: string;
    readonly definition: DefinitionVersion;
    readonly area: MissionArea;
    readonly window: MissionWindow;
    readonly priority: number;
    readonly actor: string;
    readonly now: string;
    readonly access: AccessDecision;
  };
};

export type SendMissionEvent = {
  readonly type: 'SendMissionEvent';
  readonly data: {
    readonly missionId: string;
    readonly tenantId: string;
    readonly event: string;
    readonly assetIds: readonly string[];
    readonly reason: string | null;
    readonly actor: string;
    readonly now: string;
    readonly commandId: string;
    readonly access: AccessDecision;
    /** Whether the principal may read the mission at all (`missions:read` on its area): if not, it is not found. */
    readonly visible: boolean;
    /** `If-Match`: the public version the caller read, or null. */
    readonly expectedVersion: number | null;
  };
};

/** The assignment saga reserved every asset. */
export type CompleteAssignment = {
  readonly type: 'CompleteAssignment';
  readonly data: {
    readonly missionId: string;
    readonly sagaId: string;
    readonly now: string;
    readonly commandId: string;
  };
};

/** The assignment saga could not reserve an asset and released the others. */
export type FailAssignment = {
  readonly type: 'FailAssignment';
  readonly data: { readonly missionId: string; readonly sagaId: string; readonly reason: string; readonly now: string };
};

export type FireMissionTimer = {
  readonly type: 'FireMissionTimer';
  readonly data: {
    readonly missionId: string;
    readonly timerId: string;
    readonly now: string;
    readonly commandId: string;
  };
};

/** A geofence event of the mission's area (its zone has the mission's id). */
export type RecordAreaPresence = {
  readonly type: 'RecordAreaPresence';
  readonly data: {
    readonly missionId: string;
    readonly tenantId: string;
    readonly assetId: string;
    readonly entered: boolean;
    readonly ts: string;
    readonly now: string;
    readonly commandId: string;
  };
};

export type MissionCommand =
  CreateMission | SendMissionEvent | CompleteAssignment | FailAssignment | FireMissionTimer | RecordAreaPresence;
