export * from './definitions';
export * from './missions';
export * from './mission-queries';
export * from './mission.errors';
export * from './catalogue';
