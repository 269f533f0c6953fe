import { type DynamicModule, Module } from '@nestjs/common';
import { CreateMissionController } from './create-mission/create-mission.controller';
import './create-mission/create-mission.openapi';
import { GetMissionController } from './get-mission/get-mission.controller';
import './get-mission/get-mission.openapi';
import { ListMissionsController } from './list-missions/list-missions.controller';
import './list-missions/list-missions.openapi';
import { MISSION_COMMAND_TOPIC, MissionCommands, missionCommandTopic } from './mission-commands';
import { MissionHistoryController } from './mission-history/mission-history.controller';
import './mission-history/mission-history.openapi';
import { PublishDefinitionController } from './publish-definition/publish-definition.controller';
import './publish-definition/publish-definition.openapi';
import { SendMissionEventController } from './send-mission-event/send-mission-event.controller';
import './send-mission-event/send-mission-event.openapi';

/**
 * `/v1/missions` and `/v1/workflow-definitions`: writes are commands to workflow, reads queries to
 * geo-query; one folder per use case, each with its controller and OpenAPI.
 */
@Module({
  controllers: [
    PublishDefinitionController,
    CreateMissionController,
    ListMissionsController,
    GetMissionController,
    MissionHistoryController,
    SendMissionEventController,
  ],
  providers: [missionCommandTopic(), MissionCommands],
})
export class GatewayMissionsModule {
  /** The module with workflow's commands sent to `topic` instead (tests standing in for workflow). */
  static withCommandTopic(topic: string): DynamicModule {
    return { module: GatewayMissionsModule, providers: [{ provide: MISSION_COMMAND_TOPIC, useValue: topic }] };
  }
}
