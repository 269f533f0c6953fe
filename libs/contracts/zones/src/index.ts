export * from './zones';
export * from './zone-queries';
export * from './zone.errors';
export * from './geofence';
export * from './catalogue';
