import { GeofenceEnteredV1, GeofenceExitedV1 } from '@meridian/contracts/zones';
import { GeofenceEventTypes } from '@meridian/read-model/zones';
import type { RecordedEvent } from '@meridian/shared/decider';
import type { IntegrationMessage } from '@meridian/shared/messaging';

/**
 * Geofence transitions (stored in projection's `geofence` event store) → the public contract on
 * `meridian.projection.events`, keyed by asset id so each asset's transitions stay in order. The
 * CloudEvents id is the stored event id, derived from the transition: exactly one id per transition.
 */
export function toGeofenceIntegrationEvent(event: RecordedEvent): IntegrationMessage | null {
  const contract =
    event.type === GeofenceEventTypes.entered
      ? GeofenceEnteredV1
      : event.type === GeofenceEventTypes.exited
        ? GeofenceExitedV1
        : null;
  if (!contract) return null;
  const data = contract.schema.parse(event.data);
  return { key: data.assetId, type: contract.type, dataschema: contract.dataschema, subject: data.zoneId, data };
}
