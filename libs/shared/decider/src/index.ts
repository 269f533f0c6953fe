export * from './event-store.port';
export * from './decider';
export * from './handle';
export * from './decider-spec';
