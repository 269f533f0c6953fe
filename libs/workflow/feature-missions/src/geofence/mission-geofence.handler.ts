import { Controller, Inject } from '@nestjs/common';
import { type DataOf, type Envelope, Topics } from '@meridian/contracts/core';
import { GeofenceEnteredV1, GeofenceExitedV1 } from '@meridian/contracts/zones';
import type { EventStore } from '@meridian/shared/decider';
import { EventHandler } from '@meridian/shared/messaging';
import { EVENT_STORE } from '@meridian/shared/service-kit';
import { MissionRejections, SYSTEM_ACTORS } from '@meridian/workflow/domain';
import { runSystemCommand } from '../mission-commands';
import { ReservationSagas } from '../sagas/reservation-sagas';

type GeofenceEvent = Envelope<DataOf<typeof GeofenceEnteredV1>>;

/**
 * Geofence events of mission areas (a mission's area is the zone with the mission's id) → the
 * mission records the asset's presence, and an assigned asset entering moves it on (`meta.geofence`
 * transitions: assigned/en_route → on_site in the default definition). The command id is the
 * geofence event's id, which is deterministic: a redelivered event appends nothing; a late one
 * finds the mission past the transition and only updates presence. Zones that are not mission
 * areas have no mission stream: one read, then nothing.
 */
export async function recordGeofence(
  store: EventStore,
  sagas: ReservationSagas,
  event: GeofenceEvent,
  entered: boolean,
  now: Date,
): Promise<void> {
  const { tenantId, assetId, zoneId, ts } = event.data;
  const result = await runSystemCommand(
    store,
    zoneId,
    {
      type: 'RecordAreaPresence',
      data: { missionId: zoneId, tenantId, assetId, entered, ts, now: now.toISOString(), commandId: event.id },
    },
    event.id,
    { tenantId, actor: SYSTEM_ACTORS.geofence, causationId: event.id, correlationId: event.id },
  );
  if (result.ok) sagas.afterDecision(result.events, tenantId);
  else if (result.code !== MissionRejections.notFound && result.code !== MissionRejections.definitionInvalid) {
    throw new Error(`${result.code}: ${result.detail}`);
  }
}

@Controller()
export class MissionGeofenceHandler {
  constructor(
    @Inject(EVENT_STORE) private readonly store: EventStore,
    private readonly sagas: ReservationSagas,
  ) {}

  @EventHandler(GeofenceEnteredV1, Topics.projectionEvents)
  entered(event: GeofenceEvent): Promise<void> {
    return recordGeofence(this.store, this.sagas, event, true, new Date());
  }

  @EventHandler(GeofenceExitedV1, Topics.projectionEvents)
  exited(event: GeofenceEvent): Promise<void> {
    return recordGeofence(this.store, this.sagas, event, false, new Date());
  }
}
