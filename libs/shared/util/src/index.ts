export * from './log';
export * from './stable-uuid';
export * from './federated-user-id';
export * from './eventually';
export * from './batcher';
export * from './secrets';
