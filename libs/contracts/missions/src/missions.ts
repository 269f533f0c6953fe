import { z } from 'zod';
import { defineMessage, DisplayName } from '@meridian/contracts/core';
import { DefinitionKey } from './definitions';

const Instant = z.iso.datetime({ offset: true });

export const MissionId = z.uuid();
export const MissionTitle = DisplayName;
/** An event or state name of a workflow definition. */
export const MissionEventName = z.string().regex(/^[a-z][a-z0-9_]{0,39}$/, 'a lower-case name (a–z, 0–9, _)');
export const MissionStateName = MissionEventName;
export const MissionPriority = z.number().int().min(1).max(5);

/** The mission's area: a GeoJSON Polygon in WGS 84 (checked like a zone's geometry). */
export const MissionArea = z.object({ type: z.literal('Polygon'), coordinates: z.array(z.array(z.array(z.number()))) });
export type MissionArea = z.infer<typeof MissionArea>;

/** The mission's time window `[start, end)`. */
export const MissionWindow = z.strictObject({ start: Instant, end: Instant });
export type MissionWindow = z.infer<typeof MissionWindow>;

/** At most this many assets in one assignment. */
export const MAX_ASSIGNED_ASSETS = 50;
export const AssetIds = z.array(z.uuid()).min(1).max(MAX_ASSIGNED_ASSETS);

const ExpectedVersion = z.number().int().positive().optional();

/** Commands: gateway → workflow (`meridian.workflow.commands`, key = mission id). */
export const CreateMissionV1 = defineMessage(
  'meridian.workflow.mission.create.v1',
  'command',
  z.strictObject({
    missionId: MissionId,
    title: MissionTitle,
    definition: DefinitionKey.default('default'),
    area: MissionArea,
    window: MissionWindow,
    priority: MissionPriority.default(3),
  }),
  'Create a mission on the latest version of a workflow definition (default `default`), in its initial state. ' +
    'Its area becomes a zone of kind `mission_area` with the same id. Needs `missions:write` (and, for a ' +
    'region-restricted principal, an area that intersects the region).',
);

export const SendMissionEventV1 = defineMessage(
  'meridian.workflow.mission.event.v1',
  'command',
  z.strictObject({
    missionId: MissionId,
    event: MissionEventName,
    /** For an event whose transition reserves assets (`assign` in the default definition). */
    assetIds: AssetIds.optional(),
    /** Why (for `reject` and `cancel`); kept in the history. */
    reason: z.string().max(500).optional(),
    expectedVersion: ExpectedVersion,
  }),
  "Send an event to a mission's state machine, as the acting principal: the transition's `meta.permission`, its " +
    'guards (separation of duties, data guards) and the state decide. An assignment answers with the saga that ' +
    'reserves the assets.',
);

/** How a mission changed; every mission event carries the whole summary, so a projector needs nothing earlier. */
export const MissionTransition = z.strictObject({
  event: MissionEventName,
  permission: z.string().nullable(),
  guards: z.array(z.string()),
});
export type MissionTransition = z.infer<typeof MissionTransition>;

const MissionSummary = {
  missionId: MissionId,
  tenantId: z.string(),
  version: z.number().int().positive(),
  state: MissionStateName,
  /** The machine has reached a final state. */
  done: z.boolean(),
  assetIds: z.array(z.uuid()),
  /** The events the current state accepts from people, with what each needs. */
  transitions: z.array(MissionTransition),
  /** Who caused the change: a principal's subject, or `system:timer`, `system:geofence`, `system:saga`. */
  actor: z.string(),
  at: Instant,
};

/** Integration events: workflow → everyone (`meridian.workflow.events`, key = mission id). */
export const MissionCreatedV1 = defineMessage(
  'meridian.workflow.mission.created.v1',
  'event',
  z.strictObject({
    ...MissionSummary,
    title: MissionTitle,
    definition: z.strictObject({ key: DefinitionKey, version: z.number().int().positive() }),
    area: MissionArea,
    window: MissionWindow,
    priority: MissionPriority,
    deadline: Instant,
    createdBy: z.string(),
  }),
  'A mission was created in the initial state of its definition version.',
);

export const missionCauses = ['user', 'timer', 'geofence', 'saga'] as const;

export const MissionTransitionedV1 = defineMessage(
  'meridian.workflow.mission.transitioned.v1',
  'event',
  z.strictObject({
    ...MissionSummary,
    from: MissionStateName,
    event: z.string(),
    cause: z.enum(missionCauses),
    reason: z.string().nullable(),
  }),
  'A mission moved from one state to another: by a person, its timer (`overdue`), an assigned asset entering its ' +
    'area (`on_site`) or its assignment saga (`assigned`).',
);

export const assignmentOutcomes = ['requested', 'failed', 'released'] as const;

export const MissionAssignmentChangedV1 = defineMessage(
  'meridian.workflow.mission.assignment-changed.v1',
  'event',
  z.strictObject({
    missionId: MissionId,
    tenantId: z.string(),
    version: z.number().int().positive(),
    actor: z.string(),
    at: Instant,
    sagaId: z.uuid(),
    outcome: z.enum(assignmentOutcomes),
    requestedAssetIds: z.array(z.uuid()),
    reason: z.string().nullable(),
  }),
  'An assignment was requested (the saga reserving the assets started), failed (reservations released, the ' +
    'reason says which asset was taken) or its reservations were released (the mission ended). The state does not ' +
    'change with it (a successful assignment is a `transitioned` event with cause `saga`).',
);
