import { Module } from '@nestjs/common';
import { MissionEventsProjector } from './project-mission-events/mission-events.projector';

/** read.missions and read.mission_history from `meridian.workflow.events`. */
@Module({ controllers: [MissionEventsProjector] })
export class ProjectionMissionsModule {}
