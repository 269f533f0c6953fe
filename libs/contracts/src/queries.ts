import { z } from 'zod';
import { AssetKind, AssetStatus } from './assets';
import { defineMessage } from './message';
import { Latitude, Longitude } from './telemetry';

/** Query: gateway → geo-query (`meridian.geo-query.requests`). */
export const GetAssetV1 = defineMessage(
  'meridian.geo-query.asset.get.v1',
  'query',
  z.strictObject({ assetId: z.uuid() }),
  'One asset with its latest position.',
);

export const Bbox = z
  .tuple([Longitude, Latitude, Longitude, Latitude])
  .refine(([minLon, minLat, maxLon, maxLat]) => minLon <= maxLon && minLat <= maxLat, 'min must not exceed max');

export const ListAssetsInBboxV1 = defineMessage(
  'meridian.geo-query.assets.in-bbox.v1',
  'query',
  z.strictObject({ bbox: Bbox, limit: z.number().int().min(1).max(10000) }),
  'Assets whose latest position lies in a bounding box.',
);

export const AssetsExistV1 = defineMessage(
  'meridian.geo-query.assets.exist.v1',
  'query',
  z.strictObject({ assetIds: z.array(z.uuid()).max(10000) }),
  'Which of these asset ids are registered in the tenant.',
);

export const AssetFeature = z.object({
  type: z.literal('Feature'),
  id: z.uuid(),
  geometry: z.object({ type: z.literal('Point'), coordinates: z.tuple([z.number(), z.number()]) }).nullable(),
  properties: z.object({
    name: z.string(),
    kind: AssetKind,
    status: AssetStatus,
    lastSeen: z.string().nullable(),
    speed: z.number().nullable(),
    heading: z.number().nullable(),
    version: z.number().int(),
  }),
});
export type AssetFeature = z.infer<typeof AssetFeature>;

export const AssetFeatureCollection = z.object({
  type: z.literal('FeatureCollection'),
  features: z.array(AssetFeature),
  numberReturned: z.number().int(),
});
export type AssetFeatureCollection = z.infer<typeof AssetFeatureCollection>;

export const ExistingAssets = z.object({ existing: z.array(z.uuid()) });
