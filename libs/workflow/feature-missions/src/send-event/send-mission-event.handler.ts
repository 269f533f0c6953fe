import { Controller, Inject } from '@nestjs/common';
import { commandRejection, type DataOf, type Envelope, Topics } from '@meridian/contracts/core';
import { requirePrincipal, requireTenant } from '@meridian/contracts/identity';
import { SendMissionEventV1 } from '@meridian/contracts/missions';
import { type Decider, type EventStore, load } from '@meridian/shared/decider';
import { decide } from '@meridian/shared/policy';
import { CommandHandler, type ReplyBody } from '@meridian/shared/messaging';
import { EVENT_STORE } from '@meridian/shared/service-kit';
import {
  assetDecider,
  type AssetEvent,
  AssetRejections,
  type AssetState,
  assetStreamId,
  missionEventPermission,
  missionStreamId,
} from '@meridian/workflow/domain';
import { missionAccess, publicVersionOf, replyOf, runMissionRequest } from '../mission-commands';
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
  const hidden = await firstHiddenAsset(store, request, assetIds ?? [], now);
  if (hidden) return commandRejection(AssetRejections.notFound, `asset ${hidden} not found`);
  const result = await runMissionRequest(store, request, missionId, ({ tenantId, principal }, state) => {
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
        visible: missionAccess(principal, 'missions:read', tenantId, area, now).allow,
        expectedVersion: expectedVersion ?? null,
      },
    };
  });
  if (!result.ok) return replyOf(result, missionStreamId(missionId));
  const version = publicVersionOf(result);
  const started = sagaRequests(result.events, requireTenant(request));
  sagas.afterDecision(result.events, requireTenant(request));
  // A redelivered assignment appends nothing: its saga (named after the command) is in the stream.
  const repeated = result.duplicate && (await startedAssignment(store, missionId, request.id));
  const assignment = repeated ? { sagaId: request.id } : started.find((s) => s.kind === 'assign');
  return replyOf({ ...result, version }, assignment ? `saga-${assignment.sagaId}` : missionStreamId(missionId));
}

/**
 * The first named asset the principal may not see (another tenant's, unknown, or beyond its
 * clearance or team — `assets:read` as workflow can judge it, without the region: workflow knows no
 * positions), or null. A saga never reserves what its requester could not see.
 */
async function firstHiddenAsset(
  store: EventStore,
  request: SendEventRequest,
  assetIds: readonly string[],
  now: Date,
): Promise<string | null> {
  if (assetIds.length === 0) return null;
  const tenantId = requireTenant(request);
  const principal = { ...requirePrincipal(request), region: null };
  const reader = assetDecider as Decider<unknown, AssetState, AssetEvent>;
  const states = await Promise.all(assetIds.map(async (id) => (await load(store, reader, assetStreamId(id))).state));
  const index = states.findIndex(
    (s) =>
      s.status === 'none' ||
      s.tenantId !== tenantId ||
      !decide(principal, 'assets:read', { tenantId, sensitivity: s.sensitivity, team: s.team }, now).allow,
  );
  return index === -1 ? null : assetIds[index];
}

async function startedAssignment(store: EventStore, missionId: string, sagaId: string): Promise<boolean> {
  const events = await store.readStream(missionStreamId(missionId));
  return events.some(
    (e) => e.type === 'mission.assignment-requested.v1' && (e.data as { sagaId?: string }).sagaId === sagaId,
  );
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
