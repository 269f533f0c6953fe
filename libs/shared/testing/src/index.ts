export * from './pg';
export * from './kafka';
export * from './eventually';
export * from './fault-proxy';
export * from './explain';
export * from './failure-log';
export * from './mvt';
export * from './sse';
