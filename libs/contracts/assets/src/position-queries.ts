import { z } from 'zod';
import { Bbox, defineErrors, defineMessage, Latitude, Longitude, PageLimit } from '@meridian/contracts/core';
import { AssetKind, AssetStatus } from './assets';
import { AssetFeature } from './asset-queries';

const Instant = z.iso.datetime({ offset: true });

/** Staleness window of `at` queries: default 10 minutes, at most a day. */
export const MAX_AGE_DEFAULT_SECONDS = 600;
export const MAX_AGE_MAX_SECONDS = 86_400;
/** Longest track window; tracks are read by (asset_id, ts), so the window bounds the work. */
export const TRACK_WINDOW_MAX_DAYS = 31;
/** Vertices a track answer may hold after simplification; past it the caller is told to simplify. */
export const TRACK_MAX_VERTICES = 50_000;
/** Default gap (seconds) past which a track is split into separate lines. */
export const TRACK_GAP_DEFAULT_SECONDS = 300;
export const NEAREST_DEFAULT_K = 10;
export const NEAREST_MAX_K = 100;
/** Cells a heatmap answer may hold; past it the caller is told to choose a coarser resolution or a smaller bbox. */
export const HEATMAP_MAX_CELLS = 10_000;
export const HEATMAP_WINDOW_MAX_DAYS = 31;
/** Fixes a heatmap finer than the resolutions counted at ingest may count. */
export const HEATMAP_MAX_FIXES = 100_000;

export const AssetsAtV1 = defineMessage(
  'meridian.geo-query.assets.at.v1',
  'query',
  z.strictObject({
    at: Instant,
    maxAgeSeconds: z.number().int().min(1).max(MAX_AGE_MAX_SECONDS),
    bbox: Bbox.optional(),
    limit: PageLimit,
    after: z.uuid().optional(),
  }),
  'Where each asset was at `at`: its last fix at or before `at` and no older than `maxAgeSeconds`, inside `bbox` ' +
    'if given; one page in asset id order after `after`. Assets without such a fix are left out.',
);

export const AssetTrackV1 = defineMessage(
  'meridian.geo-query.asset.track.v1',
  'query',
  z.strictObject({
    assetId: z.uuid(),
    from: Instant,
    to: Instant,
    simplifyMeters: z.number().min(0).max(100_000),
    gapSeconds: z
      .number()
      .int()
      .min(1)
      .max(86_400 * 7),
  }),
  'The path of one asset in `[from, to)`: a LineString (a MultiLineString when fixes are more than `gapSeconds` ' +
    'apart) with the time of every vertex, simplified by `simplifyMeters` in a metric projection.',
);

export const NearestAssetsV1 = defineMessage(
  'meridian.geo-query.assets.nearest.v1',
  'query',
  z.strictObject({
    lon: Longitude,
    lat: Latitude,
    k: z.number().int().min(1).max(NEAREST_MAX_K),
    kind: AssetKind.optional(),
    status: AssetStatus.optional(),
  }),
  'The `k` assets nearest to a point by latest position, nearest first (a KNN index scan).',
);

export const HeatmapV1 = defineMessage(
  'meridian.geo-query.positions.heatmap.v1',
  'query',
  z.strictObject({ bbox: Bbox, from: Instant, to: Instant, resolution: z.number().int().min(0).max(15) }),
  'Fix counts per H3 cell of `resolution` whose centre lies in `bbox`, over `[from, to)`.',
);

export const TrackFeature = z.object({
  type: z.literal('Feature'),
  id: z.uuid(),
  geometry: z
    .union([
      z.object({ type: z.literal('LineString'), coordinates: z.array(z.tuple([z.number(), z.number()])) }),
      z.object({
        type: z.literal('MultiLineString'),
        coordinates: z.array(z.array(z.tuple([z.number(), z.number()]))),
      }),
    ])
    .nullable(),
  properties: z.object({
    /** RFC 3339 per vertex; nested per line for a MultiLineString. */
    times: z.union([z.array(z.string()), z.array(z.array(z.string()))]),
    from: z.string(),
    to: z.string(),
    fixes: z.number().int(),
    vertices: z.number().int(),
    simplifyMeters: z.number(),
    gapSeconds: z.number().int(),
  }),
});
export type TrackFeature = z.infer<typeof TrackFeature>;

export const NearestFeature = AssetFeature.extend({
  properties: AssetFeature.shape.properties.extend({ distanceMeters: z.number() }),
});
export type NearestFeature = z.infer<typeof NearestFeature>;
export const NearestAssets = z.object({ items: z.array(NearestFeature) });
export type NearestAssets = z.infer<typeof NearestAssets>;

export const HeatCell = z.object({
  type: z.literal('Feature'),
  id: z.string(),
  geometry: z.object({ type: z.literal('Polygon'), coordinates: z.array(z.array(z.tuple([z.number(), z.number()]))) }),
  properties: z.object({ cell: z.string(), count: z.number().int() }),
});
export type HeatCell = z.infer<typeof HeatCell>;

export const Heatmap = z.object({
  items: z.array(HeatCell),
  resolution: z.number().int(),
  /** `rollup`: hourly counts kept at ingest (window widened to whole hours); `fixes`: counted from the fixes. */
  source: z.enum(['rollup', 'fixes']),
  from: z.string(),
  to: z.string(),
});
export type Heatmap = z.infer<typeof Heatmap>;

export const PositionQueryErrors = defineErrors({
  trackTooManyVertices: {
    code: 'TRACK.TOO_MANY_VERTICES',
    status: 422,
    description:
      `The track has more than ${TRACK_MAX_VERTICES.toLocaleString('en')} vertices after simplification: ask ` +
      'for a larger `simplify` or a shorter window.',
  },
  windowTooLong: {
    code: 'QUERY.WINDOW_TOO_LONG',
    status: 400,
    description: `A track or heatmap window longer than ${TRACK_WINDOW_MAX_DAYS} days.`,
  },
  heatmapTooManyCells: {
    code: 'HEATMAP.TOO_MANY_CELLS',
    status: 422,
    description:
      `More than ${HEATMAP_MAX_CELLS.toLocaleString('en')} cells in the answer: choose a coarser resolution or ` +
      'a smaller bbox.',
  },
  heatmapTooManyFixes: {
    code: 'HEATMAP.TOO_MANY_FIXES',
    status: 422,
    description:
      'A resolution finer than the ones counted at ingest (`H3_RESOLUTIONS`) is counted from the fixes, which ' +
      'the window and bbox hold too many of: choose a coarser resolution, a smaller bbox or a shorter window.',
  },
});
