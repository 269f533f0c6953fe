import { CodedError, type Envelope, ErrorCodes, parseData } from '@meridian/contracts/core';
import { TenantId } from '@meridian/contracts/identity';
import { type Fix, PositionBatchReportedV1, PositionReportedV1 } from '@meridian/contracts/telemetry';
import { GeofenceEnteredV1, GeofenceExitedV1 } from '@meridian/contracts/zones';
import type { TenantEvent } from '../stream-event';

/** A position as the stream carries it: what a live map needs, not the whole fix. */
export type PositionData = {
  readonly assetId: string;
  readonly ts: string;
  readonly lon: number;
  readonly lat: number;
  readonly speed?: number;
  readonly heading?: number;
};

/** What one Kafka record gives the relay: positions (throttled later) and other events (relayed as they are). */
export interface RelayRecord {
  readonly tenantId: string;
  readonly positions: readonly PositionData[];
  readonly events: readonly TenantEvent[];
}

const EMPTY = (tenantId: string): RelayRecord => ({ tenantId, positions: [], events: [] });

const positionOf = (f: Fix): PositionData => ({
  assetId: f.assetId,
  ts: f.ts,
  lon: f.lon,
  lat: f.lat,
  ...(f.speed !== undefined ? { speed: f.speed } : {}),
  ...(f.heading !== undefined ? { heading: f.heading } : {}),
});

const tenantOf = (value: string | undefined): string => {
  const parsed = TenantId.safeParse(value);
  if (!parsed.success) throw new CodedError(ErrorCodes.contractViolation, 'a record without a valid tenant');
  return parsed.data;
};

/**
 * The stream events of one record. Throws CONTRACT.VIOLATION for a record that breaks its contract
 * or has no valid tenant (the relay skips it); other message types on these topics give nothing.
 */
export function relayRecordOf(envelope: Envelope): RelayRecord {
  switch (envelope.type) {
    case PositionReportedV1.type:
      return {
        ...EMPTY(tenantOf(envelope.tenantId)),
        positions: [positionOf(parseData(PositionReportedV1, envelope))],
      };
    case PositionBatchReportedV1.type: {
      const { fixes } = parseData(PositionBatchReportedV1, envelope);
      return { ...EMPTY(tenantOf(envelope.tenantId)), positions: fixes.map(positionOf) };
    }
    case GeofenceEnteredV1.type:
    case GeofenceExitedV1.type: {
      const entered = envelope.type === GeofenceEnteredV1.type;
      const data = parseData(entered ? GeofenceEnteredV1 : GeofenceExitedV1, envelope);
      const tenantId = tenantOf(data.tenantId);
      return {
        ...EMPTY(tenantId),
        events: [{ tenantId, event: entered ? 'geofence.entered' : 'geofence.exited', data }],
      };
    }
    default:
      return EMPTY(envelope.tenantId ?? '');
  }
}
