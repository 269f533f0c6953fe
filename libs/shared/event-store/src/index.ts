export * from './migrations';
export * from './event-store.sql';
export * from './all-stream';
export * from './upcasting';
export * from './pg-event-store';
export * from './in-memory-event-store';
export * from './outbox-relay';
export * from './group-commit';
