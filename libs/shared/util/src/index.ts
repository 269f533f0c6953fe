export * from './log';
export * from './stable-uuid';
export * from './eventually';
export * from './batcher';
export * from './secrets';
