import { accept, type Decider, type Decision, reject } from '@meridian/shared/decider';
import { refusedAccess } from '../access/access';
import type { ArchiveZone, CreateZone, ReplaceZone, ZoneCommand, ZoneDefinition } from './zone.commands';
import type { ZoneEvent } from './zone.events';
import { evolveZone, initialZoneState, type ZoneState } from './zone.state';
import { MAX_ZONE_SENSITIVITY, ZoneRejections } from './zone.vocabulary';

type Definable = Pick<ZoneDefinition, 'validFrom' | 'validTo' | 'sensitivity'>;

/** The refusal a definition earns on its own, whatever the zone's state; null when it is sound. */
function definitionProblem(zoneId: string, d: Definable): Decision<ZoneEvent> | null {
  if (!Number.isInteger(d.sensitivity) || d.sensitivity < 0 || d.sensitivity > MAX_ZONE_SENSITIVITY) {
    return reject(
      ZoneRejections.sensitivityInvalid,
      `zone ${zoneId}: sensitivity ${d.sensitivity} is not an integer from 0 to ${MAX_ZONE_SENSITIVITY}`,
    );
  }
  const from = d.validFrom === null ? null : Date.parse(d.validFrom);
  const to = d.validTo === null ? null : Date.parse(d.validTo);
  if ((from !== null && Number.isNaN(from)) || (to !== null && Number.isNaN(to))) {
    return reject(ZoneRejections.validityInvalid, `zone ${zoneId}: validFrom and validTo must be ISO-8601 instants`);
  }
  if (from !== null && to !== null && to <= from) {
    return reject(
      ZoneRejections.validityInvalid,
      `zone ${zoneId}: validTo ${d.validTo} is not after validFrom ${d.validFrom}`,
    );
  }
  return null;
}

/** The principal may not write such a zone at all: that comes before whether the id is taken. */
function create(command: CreateZone, state: ZoneState): Decision<ZoneEvent> {
  const { now, access, ...zone } = command.data;
  const refused = refusedAccess<ZoneEvent>(access);
  if (refused) return refused;
  // Another tenant's zone id is taken all the same: ids are global (the caller mints UUIDs).
  if (state.status !== 'none') return reject(ZoneRejections.alreadyExists, `zone ${zone.zoneId} exists`);
  return definitionProblem(zone.zoneId, zone) ?? accept({ type: 'zone.created.v2', data: { ...zone, createdAt: now } });
}

const sameContent = (state: ZoneDefinition, d: Omit<ZoneDefinition, 'kind'>): boolean =>
  state.name === d.name &&
  state.validFrom === d.validFrom &&
  state.validTo === d.validTo &&
  state.sensitivity === d.sensitivity &&
  state.team === d.team &&
  JSON.stringify(state.geometry) === JSON.stringify(d.geometry);

function replace(command: ReplaceZone, state: ZoneState): Decision<ZoneEvent> {
  const { now, tenantId, access, ...replacement } = command.data;
  // Another tenant's zone does not exist as far as this tenant can tell: not found before any
  // access refusal, which would tell it exists.
  if (state.status === 'none' || state.tenantId !== tenantId) {
    return reject(ZoneRejections.notFound, `zone ${replacement.zoneId} not found`);
  }
  const refused = refusedAccess<ZoneEvent>(access);
  if (refused) return refused;
  if (state.status === 'archived') return reject(ZoneRejections.archived, `zone ${replacement.zoneId} is archived`);
  const problem = definitionProblem(replacement.zoneId, replacement);
  if (problem) return problem;
  // A replay of the same replacement changes nothing (and moves no version).
  if (sameContent(state, replacement)) return accept();
  return accept({ type: 'zone.replaced.v2', data: { ...replacement, replacedAt: now } });
}

function archive(command: ArchiveZone, state: ZoneState): Decision<ZoneEvent> {
  const { zoneId, tenantId, now, access } = command.data;
  if (state.status === 'none' || state.tenantId !== tenantId)
    return reject(ZoneRejections.notFound, `zone ${zoneId} not found`);
  const refused = refusedAccess<ZoneEvent>(access);
  if (refused) return refused;
  // Archiving twice is archiving once: DELETE is idempotent.
  if (state.status === 'archived') return accept();
  return accept({ type: 'zone.archived.v1', data: { zoneId, archivedAt: now } });
}

export function decideZone(command: ZoneCommand, state: ZoneState): Decision<ZoneEvent> {
  switch (command.type) {
    case 'CreateZone':
      return create(command, state);
    case 'ReplaceZone':
      return replace(command, state);
    case 'ArchiveZone':
      return archive(command, state);
    default: {
      const unknownCommand: never = command;
      return unknownCommand;
    }
  }
}

export const zoneDecider: Decider<ZoneCommand, ZoneState, ZoneEvent> = {
  initialState: initialZoneState,
  // 2: the state holds the team (issue 9); snapshots of version 1 are replayed instead.
  stateVersion: 2,
  decide: decideZone,
  evolve: evolveZone,
};

export const zoneStreamId = (zoneId: string): string => `zone-${zoneId}`;
