import { CodedError, type Envelope, ErrorCodes, parseData } from '@meridian/contracts/core';
import { TenantId } from '@meridian/contracts/identity';
import { MissionAssignmentChangedV1, MissionCreatedV1, MissionTransitionedV1 } from '@meridian/contracts/missions';
import { type Fix, PositionBatchReportedV1, PositionReportedV1 } from '@meridian/contracts/telemetry';
import { GeofenceEnteredV1, GeofenceExitedV1 } from '@meridian/contracts/zones';
import type { MissionEventName, TenantEvent } from '../stream-event';
import type { MissionAreas } from './mission-areas';

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

const areaKey = (tenantId: string, missionId: string): string => `${tenantId}:${missionId}`;

/**
 * A mission event as the stream carries it: the integration event with the mission's area. Created
 * events carry it and teach it to `areas`; later ones get it from there (null when unknown), and a
 * mission that is done is forgotten after its last event.
 */
function missionRecordOf(envelope: Envelope, areas: MissionAreas): RelayRecord {
  const mission = (tenantId: string, event: MissionEventName, data: { readonly missionId: string }) => ({
    ...EMPTY(tenantId),
    events: [{ tenantId, event, data: { ...data, area: areas.get(areaKey(tenantId, data.missionId)) } }],
  });
  switch (envelope.type) {
    case MissionCreatedV1.type: {
      const data = parseData(MissionCreatedV1, envelope);
      const tenantId = tenantOf(data.tenantId);
      if (!data.done) areas.remember(areaKey(tenantId, data.missionId), data.area);
      return { ...EMPTY(tenantId), events: [{ tenantId, event: 'mission.created', data }] };
    }
    case MissionTransitionedV1.type: {
      const data = parseData(MissionTransitionedV1, envelope);
      const tenantId = tenantOf(data.tenantId);
      const record = mission(tenantId, 'mission.transitioned', data);
      if (data.done) areas.forget(areaKey(tenantId, data.missionId));
      return record;
    }
    default: {
      const data = parseData(MissionAssignmentChangedV1, envelope);
      return mission(tenantOf(data.tenantId), 'mission.assignment-changed', data);
    }
  }
}

/**
 * The stream events of one record. Throws CONTRACT.VIOLATION for a record that breaks its contract
 * or has no valid tenant (the relay skips it); other message types on these topics give nothing.
 * `areas` keeps the mission areas between records (missionRecordOf).
 */
export function relayRecordOf(envelope: Envelope, areas: MissionAreas): RelayRecord {
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
    case MissionCreatedV1.type:
    case MissionTransitionedV1.type:
    case MissionAssignmentChangedV1.type:
      return missionRecordOf(envelope, areas);
    default:
      return EMPTY(envelope.tenantId ?? '');
  }
}
