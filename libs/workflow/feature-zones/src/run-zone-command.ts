import { commandReply, type Envelope } from '@meridian/contracts/core';
import { type Principal, requirePrincipal, requireTenant } from '@meridian/contracts/identity';
import { ZoneErrors } from '@meridian/contracts/zones';
import { type Decider, type EventStore, handle, reject } from '@meridian/shared/decider';
import { checkZoneGeometry, type ZoneGeometry } from '@meridian/shared/geometry';
import { markCommandStage, type ReplyBody } from '@meridian/shared/messaging';
import { type ZoneCommand, zoneDecider, type ZoneEvent, type ZoneState, zoneStreamId } from '@meridian/workflow/domain';
import type { ZoneSettings } from './zone-settings';

/** A command's zone geometry, checked and rewound, or the ZONE.GEOMETRY_INVALID reply naming what and where. */
export function checkedGeometry(
  geometry: unknown,
  settings: ZoneSettings,
): { geometry: ZoneGeometry } | { reply: ReplyBody } {
  const check = checkZoneGeometry(geometry, { maxVertices: settings.maxVertices });
  if (check.ok) return { geometry: check.geometry };
  return { reply: commandReply({ outcome: 'rejected', code: ZoneErrors.zoneGeometryInvalid, detail: check.detail }) };
}

/** Who issues a zone command, for whom. */
export interface ZoneIssuer {
  readonly tenantId: string;
  readonly principal: Principal;
}

/** Builds the command against the zone as the decider will see it (its access decision needs that state). */
export type ZoneCommandOf = (issuer: ZoneIssuer, state: ZoneState) => ZoneCommand;

/**
 * The zone decider on a command completed from the state it is decided against: `handle` loads the
 * stream (again after a conflict) and the access decision is made for exactly the state decided
 * on, never for one read earlier. The decider itself still gets the decision as plain data.
 */
const decidedOnState: Decider<(state: ZoneState) => ZoneCommand, ZoneState, ZoneEvent> = {
  initialState: zoneDecider.initialState,
  stateVersion: zoneDecider.stateVersion,
  decide: (command, state) => {
    const decided = command(state);
    // A mission's area changes with its mission only (feature-missions writes it with the zone decider itself).
    if (state.status !== 'none' && state.kind === 'mission_area' && state.tenantId === decided.data.tenantId) {
      return reject(ZoneErrors.zoneKindReserved, `zone ${state.zoneId} is the area of a mission: it changes with it`);
    }
    return zoneDecider.decide(decided, state);
  },
  evolve: zoneDecider.evolve,
};

/**
 * The zone decider on one command: the acting principal (`meridian-principal`), load the zone
 * stream, check `If-Match` (`expectedVersion`), decide, append with ids derived from the request
 * id, reply with the stream version or the refusal's code.
 */
export async function runZoneCommand(
  store: EventStore,
  request: Envelope,
  zoneId: string,
  command: ZoneCommandOf,
  expectedVersion?: number,
): Promise<ReplyBody> {
  const tenantId = requireTenant(request);
  const principal = requirePrincipal(request);
  const streamId = zoneStreamId(zoneId);
  const result = await handle(store, decidedOnState, streamId, (state) => command({ tenantId, principal }, state), {
    commandId: request.id,
    onStage: markCommandStage,
    ...(expectedVersion === undefined ? {} : { expectedVersion }),
    metadata: {
      tenantId,
      actor: principal.subject,
      correlationId: request.correlationId,
      causationId: request.id,
      ...(request.traceparent ? { traceparent: request.traceparent } : {}),
    },
  });
  return commandReply(
    result.ok
      ? { outcome: 'accepted', streamId, version: result.version }
      : { outcome: 'rejected', code: result.code, detail: result.detail },
  );
}
