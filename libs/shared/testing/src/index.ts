export * from './pg';
export * from './kafka';
export * from './eventually';
