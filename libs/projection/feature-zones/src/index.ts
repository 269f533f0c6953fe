export * from './project-zone-events/zone-events.projector';
export * from './geofence-validity/validity-schedule';
export * from './publish-geofence-events/geofence-integration-events';
export * from './projection-zones.module';
