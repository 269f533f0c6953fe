export * from './mission-rows';
export * from './missions.queries';
export * from './migrations/1764460800008-missions';
