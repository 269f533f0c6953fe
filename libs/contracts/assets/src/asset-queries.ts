import { z } from 'zod';
import { Bbox, defineMessage, PageLimit, pageOf, PointGeometry } from '@meridian/contracts/core';
import { AssetKind, AssetSensitivity, AssetStatus, AssetTeam } from './assets';

/** Query: gateway → geo-query (`meridian.geo-query.requests`). */
export const GetAssetV1 = defineMessage(
  'meridian.geo-query.asset.get.v1',
  'query',
  z.strictObject({ assetId: z.uuid() }),
  'One asset with its latest position.',
);

export const ListAssetsInBboxV1 = defineMessage(
  'meridian.geo-query.assets.in-bbox.v1',
  'query',
  z.strictObject({ bbox: Bbox.optional(), limit: PageLimit, after: z.uuid().optional() }),
  'Assets whose latest position lies in a bounding box (without one: every asset of the tenant, positioned or ' +
    'not), in asset id order, one page after `after`.',
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
  geometry: PointGeometry.nullable(),
  properties: z.object({
    name: z.string(),
    kind: AssetKind,
    status: AssetStatus,
    lastSeen: z.string().nullable(),
    speed: z.number().nullable(),
    heading: z.number().nullable(),
    version: z.number().int(),
    /** Access attributes: what a principal's clearance and teams are compared with. */
    sensitivity: AssetSensitivity,
    team: AssetTeam,
  }),
});
export type AssetFeature = z.infer<typeof AssetFeature>;

/** What geo-query answers to ListAssetsInBboxV1. */
export const AssetPage = pageOf(AssetFeature);
export type AssetPage = z.infer<typeof AssetPage>;

export const ExistingAssets = z.object({ existing: z.array(z.uuid()) });
