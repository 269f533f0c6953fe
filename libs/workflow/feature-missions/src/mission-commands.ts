import { commandReply, type Envelope } from '@meridian/contracts/core';
import { type Principal, requirePrincipal, requireTenant } from '@meridian/contracts/identity';
import { type Decider, type EventMetadata, type EventStore, handle, type HandleResult } from '@meridian/shared/decider';
import { markCommandStage, type ReplyBody } from '@meridian/shared/messaging';
import { decide, type Decision, type Permission, PERMISSIONS } from '@meridian/shared/policy';
import {
  type MissionArea,
  type MissionCommand,
  missionDecider,
  type MissionEvent,
  type MissionState,
  missionStreamId,
  PUBLISHED,
} from '@meridian/workflow/domain';

/**
 * The mission decider on a command completed from the state it is decided against: after a
 * conflict the access decision is made again for the state decided on (see zones' run-zone-command).
 */
const decidedOnState: Decider<(state: MissionState) => MissionCommand, MissionState, MissionEvent> = {
  initialState: missionDecider.initialState,
  stateVersion: missionDecider.stateVersion,
  decide: (command, state) => missionDecider.decide(command(state), state),
  evolve: missionDecider.evolve,
};

/** The policy's verdict on a mission permission: the location is the area; missions have no sensitivity or team. */
export function missionAccess(
  principal: Principal,
  permission: string,
  tenantId: string,
  area: MissionArea | null,
  now: Date,
): Decision {
  if (!(PERMISSIONS as readonly string[]).includes(permission)) {
    return { allow: false, code: 'AUTH.FORBIDDEN_ROLE', detail: `unknown permission ${permission}` };
  }
  const location = area as unknown as Parameters<typeof decide>[2]['location'];
  return decide(principal, permission as Permission, { tenantId, location, sensitivity: 0, team: null }, now);
}

export interface MissionIssuer {
  readonly tenantId: string;
  readonly principal: Principal;
}

export const metadataOf = (request: Envelope, tenantId: string, actor: string): EventMetadata => ({
  tenantId,
  actor,
  correlationId: request.correlationId,
  causationId: request.id,
  ...(request.traceparent ? { traceparent: request.traceparent } : {}),
});

/** A mission command of a person (`meridian-principal`), with `If-Match` and ids derived from the request. */
export async function runMissionRequest(
  store: EventStore,
  request: Envelope,
  missionId: string,
  command: (issuer: MissionIssuer, state: MissionState) => MissionCommand,
  expectedVersion?: number,
): Promise<HandleResult> {
  const tenantId = requireTenant(request);
  const principal = requirePrincipal(request);
  return handle(store, decidedOnState, missionStreamId(missionId), (state) => command({ tenantId, principal }, state), {
    commandId: request.id,
    onStage: markCommandStage,
    ...(expectedVersion === undefined ? {} : { expectedVersion }),
    metadata: metadataOf(request, tenantId, principal.subject),
  });
}

/** A mission command of the system (timer, geofence, saga): no principal, ids from what caused it. */
export function runSystemCommand(
  store: EventStore,
  missionId: string,
  command: MissionCommand,
  commandId: string,
  metadata: EventMetadata,
): Promise<HandleResult> {
  return handle(store, missionDecider, missionStreamId(missionId), command, { commandId, metadata });
}

/**
 * The version a reply gives (and `ETag`/`If-Match` use): the stream version of the decision's last
 * published event, not counting the internal ones after it (timers armed, presence).
 */
export function publicVersionOf(result: Extract<HandleResult, { ok: true }>): number {
  let trailing = 0;
  for (let i = result.events.length - 1; i >= 0 && !PUBLISHED.has(result.events[i].type); i--) trailing++;
  return trailing === result.events.length ? result.version : result.version - trailing;
}

export function replyOf(result: HandleResult, streamId: string): ReplyBody {
  return commandReply(
    result.ok
      ? { outcome: 'accepted', streamId, version: result.version }
      : { outcome: 'rejected', code: result.code, detail: result.detail },
  );
}
