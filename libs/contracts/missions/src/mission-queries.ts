import { z } from 'zod';
import { Bbox, defineMessage, PageLimit, pageOf } from '@meridian/contracts/core';
import { DefinitionKey } from './definitions';
import { MissionArea, MissionEventName, MissionId, MissionPriority, MissionStateName, MissionWindow } from './missions';

const Instant = z.iso.datetime({ offset: true });

/** Queries: gateway → geo-query (`meridian.geo-query.requests`). */
export const GetMissionV1 = defineMessage(
  'meridian.geo-query.mission.get.v1',
  'query',
  z.strictObject({ missionId: MissionId }),
  'One mission by id, with the events the calling principal may send it now (`allowedEvents`).',
);

export const ListMissionsV1 = defineMessage(
  'meridian.geo-query.missions.list.v1',
  'query',
  z.strictObject({
    state: MissionStateName.optional(),
    bbox: Bbox.optional(),
    /** Missions whose window overlaps `[from, to)`; either end may be open. */
    from: Instant.optional(),
    to: Instant.optional(),
    limit: PageLimit,
    after: MissionId.optional(),
  }),
  'Missions in a state, whose area intersects `bbox` and whose window overlaps `[from, to)`, in id order.',
);

export const MissionHistoryV1 = defineMessage(
  'meridian.geo-query.mission.history.v1',
  'query',
  z.strictObject({ missionId: MissionId, limit: PageLimit, after: z.number().int().nonnegative().optional() }),
  "A mission's history (who did what, when), by version.",
);

export const Mission = z.object({
  id: MissionId,
  title: z.string(),
  state: MissionStateName,
  done: z.boolean(),
  version: z.number().int(),
  definition: z.object({ key: DefinitionKey, version: z.number().int() }),
  priority: MissionPriority,
  area: MissionArea,
  window: MissionWindow,
  deadline: Instant,
  assetIds: z.array(z.uuid()),
  assignment: z.object({ sagaId: z.uuid(), outcome: z.string(), reason: z.string().nullable() }).nullable(),
  createdBy: z.string(),
  createdAt: Instant,
  updatedAt: Instant,
  /**
   * The events the caller may send now: the state accepts them, the caller's roles grant their
   * permission, and the guards the read side can judge (separation of duties) pass.
   */
  allowedEvents: z.array(MissionEventName),
});
export type Mission = z.infer<typeof Mission>;
export const MissionPage = pageOf(Mission);

export const MissionHistoryEntry = z.object({
  version: z.number().int(),
  /** created, transitioned or assignment-changed */
  kind: z.string(),
  event: z.string().nullable(),
  from: z.string().nullable(),
  to: z.string(),
  actor: z.string(),
  cause: z.string().nullable(),
  reason: z.string().nullable(),
  assetIds: z.array(z.uuid()),
  at: Instant,
});
export type MissionHistoryEntry = z.infer<typeof MissionHistoryEntry>;
export const MissionHistoryPage = pageOf(MissionHistoryEntry);
