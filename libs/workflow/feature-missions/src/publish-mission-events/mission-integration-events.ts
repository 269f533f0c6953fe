import {
  MissionAssignmentChangedV1,
  MissionCreatedV1,
  MissionTransitionedV1,
  WorkflowDefinitionPublishedV1,
} from '@meridian/contracts/missions';
import type { RecordedEvent } from '@meridian/shared/decider';
import type { IntegrationMessage } from '@meridian/shared/messaging';
import type { DefinitionPublished, MissionEvent } from '@meridian/workflow/domain';

const message = (contract: { type: string; dataschema: string }, key: string, data: unknown): IntegrationMessage => ({
  key,
  type: contract.type,
  dataschema: contract.dataschema,
  subject: key,
  data,
});

/**
 * Mission and definition domain events → the public contract (`meridian.workflow.mission.*`, key =
 * mission id). Each mission event carries the whole summary (state, assets, the transitions people
 * may take next, stream version), so a projector needs no earlier event. Timers, presence in the
 * area and saga steps stay internal.
 */
export function toMissionIntegrationEvent(event: RecordedEvent): IntegrationMessage | null {
  const tenantId = event.metadata.tenantId ?? '';
  const version = event.streamVersion;
  const actor = event.metadata.actor ?? 'system';
  const domain = { type: event.type, data: event.data } as MissionEvent | DefinitionPublished;
  switch (domain.type) {
    case 'workflow-definition.published.v1': {
      const { key } = domain.data;
      return message(WorkflowDefinitionPublishedV1, key, { ...domain.data, tenantId });
    }
    case 'mission.created.v1': {
      const d = domain.data;
      return message(MissionCreatedV1, d.missionId, {
        missionId: d.missionId,
        tenantId,
        version,
        state: d.state,
        done: d.done,
        assetIds: [],
        transitions: d.transitions,
        actor: d.createdBy,
        at: d.createdAt,
        title: d.title,
        definition: { key: d.definition.key, version: d.definition.version },
        area: d.area,
        window: d.window,
        priority: d.priority,
        deadline: d.deadline,
        createdBy: d.createdBy,
      });
    }
    case 'mission.transitioned.v1': {
      const d = domain.data;
      return message(MissionTransitionedV1, d.missionId, {
        missionId: d.missionId,
        tenantId,
        version,
        state: d.to,
        done: d.done,
        assetIds: d.assetIds,
        transitions: d.transitions,
        actor: d.actor,
        at: d.at,
        from: d.from,
        event: d.event,
        cause: d.cause,
        reason: d.reason,
      });
    }
    case 'mission.assignment-requested.v1':
    case 'mission.assignment-failed.v1':
    case 'mission.release-requested.v1': {
      const d = domain.data;
      const outcome =
        domain.type === 'mission.assignment-requested.v1'
          ? 'requested'
          : domain.type === 'mission.assignment-failed.v1'
            ? 'failed'
            : 'released';
      return message(MissionAssignmentChangedV1, d.missionId, {
        missionId: d.missionId,
        tenantId,
        version,
        sagaId: d.sagaId,
        outcome,
        requestedAssetIds: d.assetIds,
        reason: domain.type === 'mission.assignment-failed.v1' ? domain.data.reason : null,
        actor: domain.type === 'mission.assignment-requested.v1' ? domain.data.actor : actor,
        at: d.at,
      });
    }
    default:
      return null;
  }
}
