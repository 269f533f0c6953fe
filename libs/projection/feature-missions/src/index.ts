export * from './projection-missions.module';
export * from './project-mission-events/mission-events.projector';
