export * from './timer.events';
export * from './timers.migrations';
export * from './timer-dispatcher';
export * from './timer-rows';
export * from './pg-timer-poller';
export * from './bullmq-timers';
export * from './create-timer-dispatcher';
