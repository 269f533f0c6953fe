import { type CatalogueEntry, Topics } from '@meridian/contracts/core';
import { PublishWorkflowDefinitionV1, WorkflowDefinitionPublishedV1 } from './definitions';
import { GetMissionV1, ListMissionsV1, MissionHistoryV1 } from './mission-queries';
import {
  CreateMissionV1,
  MissionAssignmentChangedV1,
  MissionCreatedV1,
  MissionTransitionedV1,
  SendMissionEventV1,
} from './missions';

/** Where each mission message travels; the AsyncAPI document is generated from the catalogues. */
export const catalogue: readonly CatalogueEntry[] = [
  { contract: PublishWorkflowDefinitionV1, topic: Topics.workflowCommands },
  { contract: CreateMissionV1, topic: Topics.workflowCommands },
  { contract: SendMissionEventV1, topic: Topics.workflowCommands },
  { contract: WorkflowDefinitionPublishedV1, topic: Topics.workflowEvents },
  { contract: MissionCreatedV1, topic: Topics.workflowEvents },
  { contract: MissionTransitionedV1, topic: Topics.workflowEvents },
  { contract: MissionAssignmentChangedV1, topic: Topics.workflowEvents },
  { contract: GetMissionV1, topic: Topics.geoQueryRequests },
  { contract: ListMissionsV1, topic: Topics.geoQueryRequests },
  { contract: MissionHistoryV1, topic: Topics.geoQueryRequests },
];
