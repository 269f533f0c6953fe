import { z } from 'zod';
import { Bbox, defineMessage, PageLimit, pageOf } from '@meridian/contracts/core';
import { Sensitivity, ZoneGeometry, ZoneId, ZoneKind, ZoneTeam } from './zones';

const Instant = z.iso.datetime({ offset: true });

/** Queries: gateway → geo-query (`meridian.geo-query.requests`). */
export const GetZoneV1 = defineMessage(
  'meridian.geo-query.zone.get.v1',
  'query',
  z.strictObject({ zoneId: ZoneId }),
  'One zone by id, archived or not.',
);

export const ListZonesV1 = defineMessage(
  'meridian.geo-query.zones.list.v1',
  'query',
  z.strictObject({ bbox: Bbox.optional(), kind: ZoneKind.optional(), limit: PageLimit, after: ZoneId.optional() }),
  'Zones that are not archived (intersecting `bbox` and of `kind` when given), in zone id order, one page after ' +
    '`after`.',
);

/** A half-open window `[from, to)`; either end may be open. */
const Window = { from: Instant.optional(), to: Instant.optional() };

export const ZoneVisitsV1 = defineMessage(
  'meridian.geo-query.zone.visits.v1',
  'query',
  z.strictObject({ zoneId: ZoneId, ...Window, limit: PageLimit, after: z.string().optional() }),
  'Stays of assets in a zone that overlap `[from, to)`, by entry time then asset id.',
);

export const AssetVisitsV1 = defineMessage(
  'meridian.geo-query.asset.visits.v1',
  'query',
  z.strictObject({ assetId: z.uuid(), ...Window, limit: PageLimit, after: z.string().optional() }),
  'Stays of an asset in zones that overlap `[from, to)`, by entry time then zone id.',
);

export const AssetsInZoneV1 = defineMessage(
  'meridian.geo-query.zone.assets.v1',
  'query',
  z.strictObject({ zoneId: ZoneId, limit: PageLimit, after: z.uuid().optional() }),
  'Assets inside a zone now (an open stay), in asset id order.',
);

export const ZoneFeature = z.object({
  type: z.literal('Feature'),
  id: ZoneId,
  geometry: ZoneGeometry,
  properties: z.object({
    name: z.string(),
    kind: ZoneKind,
    validFrom: z.string().nullable(),
    validTo: z.string().nullable(),
    sensitivity: Sensitivity,
    team: ZoneTeam,
    version: z.number().int(),
    createdAt: z.string(),
    updatedAt: z.string(),
    archivedAt: z.string().nullable(),
  }),
});
export type ZoneFeature = z.infer<typeof ZoneFeature>;
export const ZonePage = pageOf(ZoneFeature);

/** One stay of an asset in a zone: `exitedAt` is null while it is inside. */
export const ZoneVisit = z.object({
  zoneId: ZoneId,
  assetId: z.uuid(),
  enteredAt: z.string(),
  exitedAt: z.string().nullable(),
});
export type ZoneVisit = z.infer<typeof ZoneVisit>;
export const ZoneVisitPage = pageOf(ZoneVisit);
