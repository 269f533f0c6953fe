import { z } from 'zod';
import { defineMessage, DisplayName } from '@meridian/contracts/core';

export const zoneKinds = ['geofence', 'restricted', 'area_of_interest'] as const;
export const ZoneKind = z.enum(zoneKinds);
export type ZoneKind = z.infer<typeof ZoneKind>;

export const ZoneId = z.uuid();
export const ZoneName = DisplayName;
export const Sensitivity = z.number().int().min(0).max(4);
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
  'Create a zone in the tenant given by the tenant-id header.',
);

export const ReplaceZoneV1 = defineMessage(
  'meridian.workflow.zone.replace.v1',
  'command',
  ZoneContent.extend({ zoneId: ZoneId, expectedVersion: ExpectedVersion }),
  "Replace a zone's name, geometry, validity window and sensitivity (its kind stays).",
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
  'A zone was created. `version` is the zone stream version after the event; geometry is RFC 7946-wound.',
);

export const ZoneReplacedV1 = defineMessage(
  'meridian.workflow.zone.replaced.v1',
  'event',
  ZoneContent.extend({ ...eventBase, replacedAt: Instant }),
  "A zone's name, geometry, validity or sensitivity changed (the whole new content).",
);

export const ZoneArchivedV1 = defineMessage(
  'meridian.workflow.zone.archived.v1',
  'event',
  z.strictObject({ ...eventBase, archivedAt: Instant }),
  'A zone was archived.',
);
