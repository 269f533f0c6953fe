import { Controller, Inject } from '@nestjs/common';
import { type DataOf, type Envelope, Topics } from '@meridian/contracts/core';
import { requireTenant } from '@meridian/contracts/identity';
import { SendMissionEventV1 } from '@meridian/contracts/missions';
import type { EventStore } from '@meridian/shared/decider';
import { CommandHandler, type ReplyBody } from '@meridian/shared/messaging';
import { EVENT_STORE } from '@meridian/shared/service-kit';
import { missionEventPermission, missionStreamId } from '@meridian/workflow/domain';
import { missionAccess, replyOf, runMissionRequest } from '../mission-commands';
import { ReservationSagas, sagaRequests } from '../sagas/reservation-sagas';

type SendEventRequest = Envelope<DataOf<typeof SendMissionEventV1>>;

/**
 * meridian.workflow.mission.event.v1: the permission is the one the transition names in the
 * mission's definition version (`meta.permission`), decided on the mission's area for the state
 * decided on; guards and the state do the rest. An assignment answers with its saga's stream
 * (`saga-<id>`), which then runs in the background; a mission that ends releases its assets.
 */
export async function sendMissionEvent(
  store: EventStore,
  sagas: ReservationSagas,
  request: SendEventRequest,
  now: Date,
): Promise<ReplyBody> {
  const { missionId, event, assetIds, reason, expectedVersion } = request.data;
  const result = await runMissionRequest(
    store,
    request,
    missionId,
    ({ tenantId, principal }, state) => {
      const permission = missionEventPermission(state, event) ?? 'missions:read';
      const area = state.status === 'none' ? null : state.area;
      return {
        type: 'SendMissionEvent',
        data: {
          missionId,
          tenantId,
          event,
          assetIds: assetIds ?? [],
          reason: reason ?? null,
          actor: principal.subject,
          now: now.toISOString(),
          commandId: request.id,
          access: missionAccess(principal, permission, tenantId, area, now),
        },
      };
    },
    expectedVersion,
  );
  if (!result.ok) return replyOf(result, missionStreamId(missionId));
  const started = sagaRequests(result.events, requireTenant(request));
  sagas.afterDecision(result.events, requireTenant(request));
  const assignment = started.find((s) => s.kind === 'assign');
  return replyOf(result, assignment ? `saga-${assignment.sagaId}` : missionStreamId(missionId));
}

@Controller()
export class SendMissionEventHandler {
  constructor(
    @Inject(EVENT_STORE) private readonly store: EventStore,
    private readonly sagas: ReservationSagas,
  ) {}

  @CommandHandler(SendMissionEventV1, Topics.workflowCommands)
  send(request: SendEventRequest): Promise<ReplyBody> {
    return sendMissionEvent(this.store, this.sagas, request, new Date());
  }
}
