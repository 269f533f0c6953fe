export * from './create-zone/create-zone.handler';
export * from './replace-zone/replace-zone.handler';
export * from './archive-zone/archive-zone.handler';
export * from './publish-zone-events/zone-integration-events';
export * from './zone-access';
export * from './workflow-zones.module';
export * from './zone-settings';
