import { type DynamicModule, Module } from '@nestjs/common';
import { type PgEventStore } from '@meridian/shared/event-store';
import { Geofencer } from '@meridian/read-model/zones';
import { EVENT_STORE } from '@meridian/shared/service-kit';
import { GEOFENCE_SETTINGS, type GeofenceSettings, ValiditySchedule } from './geofence-validity/validity-schedule';
import { ZoneEventsProjector } from './project-zone-events/zone-events.projector';

/**
 * read.zones and live geofencing. The Geofencer (over the `geofence` event store the app
 * configures) is global: the telemetry feature checks every stored fix with it when it is there.
 */
@Module({})
export class ProjectionZonesModule {
  static forRoot(settings: GeofenceSettings): DynamicModule {
    return {
      module: ProjectionZonesModule,
      global: true,
      controllers: [ZoneEventsProjector],
      providers: [
        { provide: GEOFENCE_SETTINGS, useValue: settings },
        {
          provide: Geofencer,
          useFactory: (store: PgEventStore) => new Geofencer(store, { index: settings.index }),
          inject: [EVENT_STORE],
        },
        ValiditySchedule,
      ],
      exports: [Geofencer],
    };
  }
}
