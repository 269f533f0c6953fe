import { z } from 'zod';

export const Longitude = z.number().min(-180).max(180);
export const Latitude = z.number().min(-90).max(90);

/** `[minLon, minLat, maxLon, maxLat]` in WGS 84. */
export const Bbox = z
  .tuple([Longitude, Latitude, Longitude, Latitude])
  .refine(([minLon, minLat, maxLon, maxLat]) => minLon <= maxLon && minLat <= maxLat, 'min must not exceed max');
export type Bbox = z.infer<typeof Bbox>;

export const PointGeometry = z.object({ type: z.literal('Point'), coordinates: z.tuple([z.number(), z.number()]) });
