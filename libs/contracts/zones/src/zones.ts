import { z } from 'zod';
import { defineMessage, DisplayName } from '@meridian/contracts/core';
import { Clearance, TeamName } from '@meridian/contracts/identity';

export const zoneKinds = ['geofence', 'restricted', 'area_of_interest', 'mission_area'] as const;
export const ZoneKind = z.enum(zoneKinds);
export type ZoneKind = z.infer<typeof ZoneKind>;

export const ZoneId = z.uuid();
export const ZoneName = DisplayName;
/** 0 (public) to 4: a principal's clearance must reach it (docs/permissions.md). */
export const Sensitivity = Clearance;
/** The owning team; a team-restricted principal must belong to it. Null: no team, visible to every team. */
export const ZoneTeam = TeamName.nullable();
const Instant = z.iso.datetime({ offset: true });

const Position = z.array(z.number()).min(2).max(3);
const Ring = z.array(Position);
/**
 * The shape of a zone geometry as the contract carries it. Its validity (closed rings, range,
 * self-intersection, holes, vertex limit) is checked by workflow before anything is written:
 * `ZONE.GEOMETRY_INVALID` names what and where.
 */
export const ZoneGeometry = z.discriminatedUnion('type', [
  z.object({ type: z.literal('Polygon'), coordinates: z.array(Ring) }),
  z.object({ type: z.literal('MultiPolygon'), coordinates: z.array(z.array(Ring)) }),
]);
export type ZoneGeometry = z.infer<typeof ZoneGeometry>;

/** The replaceable part of a zone: everything but its kind. */
export const ZoneContent = z.strictObject({
  name: ZoneName,
  geometry: ZoneGeometry,
  validFrom: Instant.nullable(),
  validTo: Instant.nullable(),
  sensitivity: Sensitivity,
});

/** v2 of the zone content: v1 plus the owning team. */
export const ZoneContentV2 = ZoneContent.extend({ team: ZoneTeam });

/** What a v2 command carries: the access attributes may be left out (sensitivity 0, no team). */
const ZoneCommandContentV2 = ZoneContent.extend({
  sensitivity: Sensitivity.default(0),
  team: ZoneTeam.default(null),
});

/**
 * `expectedVersion`: the zone stream version the caller read (`If-Match`); a zone at another version
 * refuses with REQUEST.PRECONDITION_FAILED.
 */
const ExpectedVersion = z.number().int().positive().optional();

/** Commands: gateway → workflow (`meridian.workflow.commands`, key = zone id). */
export const CreateZoneV1 = defineMessage(
  'meridian.workflow.zone.create.v1',
  'command',
  ZoneContent.extend({ zoneId: ZoneId, kind: ZoneKind }),
  'Create a zone in the tenant given by the tenant-id header. Superseded by v2; workflow still accepts it as v2 ' +
    'without a team.',
);

export const CreateZoneV2 = defineMessage(
  'meridian.workflow.zone.create.v2',
  'command',
  ZoneCommandContentV2.extend({ zoneId: ZoneId, kind: ZoneKind }),
  'Create a zone in the tenant given by the tenant-id header, with its sensitivity (0–4, default 0) and owning ' +
    'team (default none). The acting principal needs `zones:write`, a clearance of at least the sensitivity, ' +
    'membership of the team when team-restricted, and a region (if limited to one) that the geometry intersects.',
);

export const ReplaceZoneV1 = defineMessage(
  'meridian.workflow.zone.replace.v1',
  'command',
  ZoneContent.extend({ zoneId: ZoneId, expectedVersion: ExpectedVersion }),
  "Replace a zone's name, geometry, validity window and sensitivity (its kind stays). Superseded by v2; workflow " +
    'still accepts it as v2 without a team.',
);

export const ReplaceZoneV2 = defineMessage(
  'meridian.workflow.zone.replace.v2',
  'command',
  ZoneCommandContentV2.extend({ zoneId: ZoneId, expectedVersion: ExpectedVersion }),
  "Replace a zone's name, geometry, validity window, sensitivity and team (its kind stays); left out, " +
    'sensitivity is 0 and the team none. The acting principal must be allowed `zones:write` on the zone as it is ' +
    'and as it will be.',
);

export const ArchiveZoneV1 = defineMessage(
  'meridian.workflow.zone.archive.v1',
  'command',
  z.strictObject({ zoneId: ZoneId, expectedVersion: ExpectedVersion }),
  'Archive a zone: it stops counting for geofencing and leaves lists; it still reads by id.',
);

const eventBase = { zoneId: ZoneId, tenantId: z.string(), version: z.number().int().positive() };

/** Integration events: workflow → everyone (`meridian.workflow.events`, key = zone id). */
export const ZoneCreatedV1 = defineMessage(
  'meridian.workflow.zone.created.v1',
  'event',
  ZoneContent.extend({ ...eventBase, kind: ZoneKind, createdAt: Instant }),
  'A zone was created. `version` is the zone stream version after the event; geometry is RFC 7946-wound. ' +
    'Superseded by v2: workflow publishes v2 only, also for zones created before v2 (no team).',
);

export const ZoneCreatedV2 = defineMessage(
  'meridian.workflow.zone.created.v2',
  'event',
  ZoneContentV2.extend({ ...eventBase, kind: ZoneKind, createdAt: Instant }),
  'A zone was created, with its sensitivity and owning team (null: none). `version` is the zone stream version ' +
    'after the event; geometry is RFC 7946-wound.',
);

export const ZoneReplacedV1 = defineMessage(
  'meridian.workflow.zone.replaced.v1',
  'event',
  ZoneContent.extend({ ...eventBase, replacedAt: Instant }),
  "A zone's name, geometry, validity or sensitivity changed (the whole new content). Superseded by v2.",
);

export const ZoneReplacedV2 = defineMessage(
  'meridian.workflow.zone.replaced.v2',
  'event',
  ZoneContentV2.extend({ ...eventBase, replacedAt: Instant }),
  "A zone's name, geometry, validity, sensitivity or team changed (the whole new content).",
);

export const ZoneArchivedV1 = defineMessage(
  'meridian.workflow.zone.archived.v1',
  'event',
  z.strictObject({ ...eventBase, archivedAt: Instant }),
  'A zone was archived.',
);
