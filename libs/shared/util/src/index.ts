export * from './log';
export * from './stable-uuid';
