import { z } from 'zod';
import { Bbox, defineMessage } from '@meridian/contracts/core';

/** The collections `/ogc/collections` serves, in the order it lists them. */
export const ogcCollectionIds = ['assets', 'zones', 'positions'] as const;
export const OgcCollectionId = z.enum(ogcCollectionIds);
export type OgcCollectionId = z.infer<typeof OgcCollectionId>;

/** OGC API – Features: `limit` defaults to 10; a larger one than the maximum is lowered to it. */
export const OGC_LIMIT_DEFAULT = 10;
export const OGC_LIMIT_MAX = 10_000;

const Instant = z.iso.datetime({ offset: true });

/**
 * A `datetime` filter as the gateway parsed it: a closed interval whose ends may be open (null);
 * an instant is an interval with `start` = `end`.
 */
export const OgcDatetime = z
  .strictObject({ start: Instant.nullable(), end: Instant.nullable() })
  .refine((d) => d.start === null || d.end === null || Date.parse(d.start) <= Date.parse(d.end), 'end before start');
export type OgcDatetime = z.infer<typeof OgcDatetime>;

/**
 * A `bbox` filter: one envelope, or two when the request crossed the antimeridian (min lon > max lon
 * is split at ±180 by the gateway). A feature matches when it intersects any of them.
 */
export const OgcBbox = z.array(Bbox).min(1).max(2);
export type OgcBbox = z.infer<typeof OgcBbox>;

/** Queries: gateway → geo-query (`meridian.geo-query.requests`). */
export const OgcCollectionsV1 = defineMessage(
  'meridian.geo-query.ogc.collections.v1',
  'query',
  z.strictObject({}),
  "The spatial and temporal extents of the tenant's OGC collections (`assets`, `zones`, `positions`).",
);

export const OgcItemsV1 = defineMessage(
  'meridian.geo-query.ogc.items.v1',
  'query',
  z.strictObject({
    collection: OgcCollectionId,
    bbox: OgcBbox.optional(),
    datetime: OgcDatetime.optional(),
    limit: z.number().int().min(1).max(OGC_LIMIT_MAX),
    /** Features after this id (a `next` page), or, with `direction: 'prev'`, the ones just before it. */
    after: z.string().max(200).optional(),
    direction: z.enum(['next', 'prev']).default('next'),
  }),
  'One keyset page of the features of a collection matching `bbox` and `datetime`, with `numberMatched`, the ' +
    'exact count of all matches, or null when more match than geo-query counts (100,000 by default). A page may ' +
    'hold fewer than `limit` features when its features would exceed the page byte budget (768 KiB by default); ' +
    '`after` (the key of a next page) is then set. `before` is the key of the page before, when there is one.',
);

export const OgcFeatureV1 = defineMessage(
  'meridian.geo-query.ogc.feature.v1',
  'query',
  z.strictObject({ collection: OgcCollectionId, featureId: z.string().min(1).max(200) }),
  'One feature of a collection by id (an asset id, a zone id, or `<assetId>~<epoch microseconds>` for a position).',
);

/** A GeoJSON feature of any collection; geometry null for an asset without a position yet. */
export const OgcFeature = z.object({
  type: z.literal('Feature'),
  id: z.string(),
  geometry: z.record(z.string(), z.unknown()).nullable(),
  properties: z.record(z.string(), z.unknown()),
});
export type OgcFeature = z.infer<typeof OgcFeature>;

export const OgcItemsPage = z.object({
  items: z.array(OgcFeature),
  after: z.string().nullable(),
  before: z.string().nullable(),
  /** null: more features match than geo-query counts (OGC lets a page leave numberMatched out). */
  numberMatched: z.number().int().min(0).nullable(),
});
export type OgcItemsPage = z.infer<typeof OgcItemsPage>;

/** `[minLon, minLat, maxLon, maxLat]`, null when the collection has no located feature. */
export const OgcExtent = z.object({
  id: OgcCollectionId,
  bbox: z.tuple([z.number(), z.number(), z.number(), z.number()]).nullable(),
  /** `[start, end]`, either null for an open end; null when nothing in the collection has a time. */
  interval: z.tuple([z.string().nullable(), z.string().nullable()]).nullable(),
});
export type OgcExtent = z.infer<typeof OgcExtent>;

export const OgcExtents = z.object({ collections: z.array(OgcExtent) });
export type OgcExtents = z.infer<typeof OgcExtents>;
