import { z } from 'zod';
import { defineMessage, Latitude, Longitude } from '@meridian/contracts/core';

/**
 * A fix timestamp as stored: RFC 3339 with an offset, normalised to UTC with at most microsecond
 * precision (what PostgreSQL keeps), so the day partition computed from it is the day the row lands in.
 */
export const FixTimestamp = z.iso.datetime({ offset: true });

/** One position fix. Idempotent on (assetId, ts). */
export const Fix = z.strictObject({
  assetId: z.uuid(),
  ts: FixTimestamp,
  lon: Longitude,
  lat: Latitude,
  alt: z.number().min(-1000).max(100000).optional(),
  speed: z.number().min(0).max(1000).optional(),
  heading: z.number().min(0).lt(360).optional(),
  battery: z.number().min(0).max(100).optional(),
  accuracy: z.number().min(0).max(100000).optional(),
});
export type Fix = z.infer<typeof Fix>;

/**
 * Telemetry stream (`meridian.telemetry.positions`, key = asset id, one fix per message). Still
 * read by projection; the gateway now writes PositionBatchReportedV1.
 */
export const PositionReportedV1 = defineMessage(
  'meridian.telemetry.position.v1',
  'telemetry',
  Fix,
  'A position fix of one asset, as accepted by the gateway (ts normalised to UTC, at most microseconds).',
);

/** At most this many fixes in one position-batch message (about 200 bytes each as JSON). */
export const MAX_FIXES_PER_MESSAGE = 2000;

/**
 * Telemetry stream (`meridian.telemetry.positions`), many fixes per message: the gateway groups
 * the accepted fixes of a request by the partition their asset ids map to and keys each message
 * with one of those asset ids, so every fix of an asset lands in its asset's partition, in order.
 */
export const PositionBatchReportedV1 = defineMessage(
  'meridian.telemetry.position-batch.v1',
  'telemetry',
  z.strictObject({ fixes: z.array(Fix).min(1).max(MAX_FIXES_PER_MESSAGE) }),
  "Position fixes of assets whose ids map to the message's partition, in the order the gateway accepted them.",
);
