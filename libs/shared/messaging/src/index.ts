export * from './bus';
export * from './consumer';
export * from './request-reply';
export * from './outbox-publisher';
export * from './serve';
export * from './dead-letters';
