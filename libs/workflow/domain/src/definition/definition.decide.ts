import { accept, type Decider, type DomainEvent, type Decision, reject } from '@meridian/shared/decider';
import { PERMISSIONS } from '@meridian/shared/policy';
import { type AccessDecision, refusedAccess } from '../access/access';
import type { DefinitionVersion, MachineJson } from './definition.types';
import { DEFAULT_DEADLINE_TOLERANCE, durationMs, MissionRejections } from './definition.vocabulary';
import { parseDefinition } from './parse-definition';
import { buildMissionMachine } from '../mission/mission.machine';

export type PublishDefinition = {
  readonly type: 'PublishDefinition';
  readonly data: {
    readonly tenantId: string;
    readonly key: string;
    readonly machine: MachineJson;
    readonly deadlineTolerance: string | null;
    readonly now: string;
    readonly access: AccessDecision;
  };
};

export type DefinitionPublished = DomainEvent<
  'workflow-definition.published.v1',
  DefinitionVersion & { readonly tenantId: string; readonly publishedAt: string }
>;

export type DefinitionState =
  | { readonly status: 'none' }
  | { readonly status: 'published'; readonly tenantId: string; readonly latest: DefinitionVersion };

const MAX_TOLERANCE_MS = 7 * 24 * 3600 * 1000;

function publish(command: PublishDefinition, state: DefinitionState): Decision<DefinitionPublished> {
  const { tenantId, key, machine, now, access } = command.data;
  const refused = refusedAccess<DefinitionPublished>(access);
  if (refused) return refused;
  if (state.status === 'published' && state.tenantId !== tenantId) {
    return reject(MissionRejections.definitionInvalid, `definition key ${key} is not available`);
  }
  const tolerance = command.data.deadlineTolerance ?? DEFAULT_DEADLINE_TOLERANCE;
  const toleranceMs = durationMs(tolerance);
  if (toleranceMs === null || toleranceMs > MAX_TOLERANCE_MS) {
    return reject(MissionRejections.definitionInvalid, 'deadlineTolerance: an ISO 8601 duration of at most P7D');
  }
  const parsed = parseDefinition(machine, PERMISSIONS);
  if (!parsed.ok) return reject(MissionRejections.definitionInvalid, parsed.detail);
  try {
    buildMissionMachine(machine, parsed.definition);
  } catch (err) {
    return reject(MissionRejections.definitionInvalid, `XState refused the machine: ${(err as Error).message}`);
  }
  const version = state.status === 'none' ? 1 : state.latest.version + 1;
  return accept({
    type: 'workflow-definition.published.v1',
    data: { tenantId, key, version, machine, deadlineTolerance: tolerance, publishedAt: now },
  });
}

export const definitionDecider: Decider<PublishDefinition, DefinitionState, DefinitionPublished> = {
  initialState: { status: 'none' },
  stateVersion: 1,
  decide: publish,
  evolve: (_state, event) => {
    const { tenantId, publishedAt: _at, ...latest } = event.data;
    return { status: 'published', tenantId, latest };
  },
};

/**
 * One stream per tenant and key; its stream version is the definition version. `/` is in neither
 * a tenant id nor a key, so no (tenant, key) pair can name another's stream.
 */
export const definitionStreamId = (tenantId: string, key: string): string => `workflow-definition-${tenantId}/${key}`;
