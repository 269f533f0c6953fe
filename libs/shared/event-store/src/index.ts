export * from './migrations';
export * from './event-store.sql';
export * from './pg-event-store';
export * from './outbox-relay';

