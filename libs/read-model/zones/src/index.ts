export * from './geofence-transitions';
export * from './geofencer';
export * from './zone-rows';
export * from './zones.writes';
export * from './zones.queries';
export * from './migrations/1764460800003-zones';
export * from './zone-index';
