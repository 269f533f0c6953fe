import { type DynamicModule, Module } from '@nestjs/common';
import { CreateMissionHandler } from './create-mission/create-mission.handler';
import { PublishDefinitionHandler } from './definitions/publish-definition.handler';
import { MissionGeofenceHandler } from './geofence/mission-geofence.handler';
import { MISSION_SETTINGS, type MissionSettings } from './mission-settings';
import { ReservationSagas } from './sagas/reservation-sagas';
import { SendMissionEventHandler } from './send-event/send-mission-event.handler';
import { MISSION_TIMER_OPTIONS, type MissionTimerOptions, MissionTimers } from './timers/mission-timers';

/** Workflow definitions and missions: commands, geofence arrivals, reservation sagas and durable timers. */
@Module({})
export class WorkflowMissionsModule {
  static forRoot(settings: MissionSettings, timers: MissionTimerOptions): DynamicModule {
    return {
      module: WorkflowMissionsModule,
      controllers: [PublishDefinitionHandler, CreateMissionHandler, SendMissionEventHandler, MissionGeofenceHandler],
      providers: [
        { provide: MISSION_SETTINGS, useValue: settings },
        { provide: MISSION_TIMER_OPTIONS, useValue: timers },
        ReservationSagas,
        MissionTimers,
      ],
      exports: [ReservationSagas, MissionTimers],
    };
  }
}
