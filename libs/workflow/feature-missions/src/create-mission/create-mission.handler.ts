import { Controller, Inject } from '@nestjs/common';
import { commandRejection, type DataOf, type Envelope, Topics } from '@meridian/contracts/core';
import { requireTenant } from '@meridian/contracts/identity';
import { CreateMissionV1, MissionErrors } from '@meridian/contracts/missions';
import { type EventStore, handle } from '@meridian/shared/decider';
import { checkZoneGeometry } from '@meridian/shared/geometry';
import { CommandHandler, type ReplyBody } from '@meridian/shared/messaging';
import { stableUuid } from '@meridian/shared/util';
import { EVENT_STORE } from '@meridian/shared/service-kit';
import { type MissionArea, missionStreamId, SYSTEM_ACCESS, zoneDecider, zoneStreamId } from '@meridian/workflow/domain';
import { latestDefinition } from '../definitions/definitions';
import { metadataOf, missionAccess, publicVersionOf, replyOf, runMissionRequest } from '../mission-commands';
import { MISSION_SETTINGS, type MissionSettings } from '../mission-settings';
import { ReservationSagas } from '../sagas/reservation-sagas';

type CreateMissionRequest = Envelope<DataOf<typeof CreateMissionV1>>;

/**
 * meridian.workflow.mission.create.v1: the area is checked like a zone geometry, the definition's
 * latest version is fixed for the mission's life, `missions:write` is decided on the area. Then the
 * area becomes a zone of kind `mission_area` with the mission's id (its own command, id derived
 * from the request: a redelivered command completes a zone a crash left out).
 */
export async function createMission(
  store: EventStore,
  settings: MissionSettings,
  sagas: ReservationSagas,
  request: CreateMissionRequest,
  now: Date,
): Promise<ReplyBody> {
  const tenantId = requireTenant(request);
  const { missionId, title, area, window, priority } = request.data;
  const check = checkZoneGeometry(area, { maxVertices: settings.maxVertices });
  if (!check.ok || check.geometry.type !== 'Polygon') {
    const detail = check.ok ? 'the area must be a Polygon' : check.detail;
    return commandRejection(MissionErrors.missionAreaInvalid, detail);
  }
  const checkedArea = check.geometry as unknown as MissionArea;
  const definition = await latestDefinition(store, tenantId, request.data.definition, settings.deadlineTolerance);
  if (!definition) {
    return commandRejection(MissionErrors.definitionUnknown, `no workflow definition "${request.data.definition}"`);
  }
  const result = await runMissionRequest(store, request, missionId, ({ principal }) => ({
    type: 'CreateMission',
    data: {
      missionId,
      tenantId,
      title,
      definition,
      area: checkedArea,
      window,
      priority,
      actor: principal.subject,
      now: now.toISOString(),
      access: missionAccess(principal, 'missions:write', tenantId, checkedArea, now),
    },
  }));
  if (result.ok) {
    sagas.afterDecision(result.events, tenantId);
    const zone = await handle(
      store,
      zoneDecider,
      zoneStreamId(missionId),
      {
        type: 'CreateZone',
        data: {
          zoneId: missionId,
          tenantId,
          name: title,
          kind: 'mission_area',
          geometry: check.geometry,
          validFrom: null,
          validTo: null,
          sensitivity: 0,
          team: null,
          now: now.toISOString(),
          access: SYSTEM_ACCESS,
        },
      },
      { commandId: stableUuid(`mission-area:${request.id}`), metadata: metadataOf(request, tenantId, 'system') },
    );
    // Without its zone no geofence reaches the mission: fail the command, which is redelivered and retried.
    if (!zone.ok && zone.code !== 'ZONE.ALREADY_EXISTS') throw new Error(`mission area ${missionId}: ${zone.detail}`);
  }
  return replyOf(result.ok ? { ...result, version: publicVersionOf(result) } : result, missionStreamId(missionId));
}

@Controller()
export class CreateMissionHandler {
  constructor(
    @Inject(EVENT_STORE) private readonly store: EventStore,
    @Inject(MISSION_SETTINGS) private readonly settings: MissionSettings,
    private readonly sagas: ReservationSagas,
  ) {}

  @CommandHandler(CreateMissionV1, Topics.workflowCommands)
  create(request: CreateMissionRequest): Promise<ReplyBody> {
    return createMission(this.store, this.settings, this.sagas, request, new Date());
  }
}
